"""Small flows that exercise each shape the compiler lays out."""

HEAD = """apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: {name}
spec:
  trigger:
    type: Manual
  nodes:
"""

DIAMOND = (
    HEAD.format(name="diamond")
    + """
    - id: start
      type: Transform
      config:
        script: export PATH_CHOSEN="${event.choice}"
    - id: pick
      type: Conditional
      config:
        condition: ${PATH_CHOSEN} == "left"
    - id: left
      type: Transform
      config:
        script: export SIDE=left
      conditions:
        - from: pick
          when: true
    - id: right
      type: Transform
      config:
        script: export SIDE=right
      conditions:
        - from: pick
          when: false
    - id: meet
      type: Transform
      config:
        script: export DONE="${SIDE}"
  connections:
    - from: start
      to: pick
    - from: pick
      to: [left, right]
    - from: left
      to: meet
    - from: right
      to: meet
"""
)

FAN_OUT = (
    HEAD.format(name="fan-out")
    + """
    - id: start
      type: Transform
      config:
        script: export X=1
    - id: notify-a
      type: Slack
      config:
        channel: "#a"
        message: a ${X}
    - id: notify-b
      type: Slack
      config:
        channel: "#b"
        message: b ${X}
    - id: join
      type: Transform
      config:
        script: export JOINED=true
  connections:
    - from: start
      to: [notify-a, notify-b]
    - from: notify-a
      to: join
    - from: notify-b
      to: join
"""
)

SKIP_CHAIN = (
    HEAD.format(name="skip-chain")
    + """
    - id: start
      type: Transform
      config:
        script: export GO="${event.go}"
    - id: gated
      type: Slack
      config:
        channel: "#a"
        message: gated
      conditions:
        - from: start
          when: GO == "yes"
    - id: after-gated
      type: Slack
      config:
        channel: "#a"
        message: after
  connections:
    - from: start
      to: gated
    - from: gated
      to: after-gated
"""
)

FAILURE = (
    HEAD.format(name="failure")
    + """
    - id: start
      type: Transform
      config:
        script: export X=1
    - id: call
      type: HTTP
      config:
        url: https://example.com/hook
    - id: after
      type: Slack
      config:
        channel: "#a"
        message: never
  connections:
    - from: start
      to: call
    - from: call
      to: after
"""
)

FLOWS = {"diamond": DIAMOND, "fan-out": FAN_OUT, "skip-chain": SKIP_CHAIN, "failure": FAILURE}

#: A fan-out whose second branch is itself a diamond (a join inside a Parallel branch), with a
#: Wait node (``until`` an event field) on the first branch.
NESTED = (
    HEAD.format(name="nested")
    + """
    - id: start
      type: Transform
      config:
        script: export GO="${event.go}"
    - id: notify-a
      type: Slack
      config: {channel: "#a", message: a}
    - id: pause
      type: Wait
      config:
        until: ${event.deadline}
    - id: pick
      type: Conditional
      config:
        condition: ${event.go} == "yes"
    - id: go-yes
      type: Slack
      config: {channel: "#a", message: y}
      conditions:
        - from: pick
          when: true
    - id: go-no
      type: Slack
      config: {channel: "#a", message: n}
      conditions:
        - from: pick
          when: false
    - id: inner-meet
      type: Slack
      config: {channel: "#a", message: m}
    - id: join
      type: Transform
      config:
        script: export JOINED=true
  connections:
    - from: start
      to: [notify-a, pick]
    - from: notify-a
      to: pause
    - from: pause
      to: join
    - from: pick
      to: [go-yes, go-no]
    - from: go-yes
      to: inner-meet
    - from: go-no
      to: inner-meet
    - from: inner-meet
      to: join
"""
)

FLOWS["nested"] = NESTED
