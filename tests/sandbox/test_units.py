"""Pure helpers: selectors, the three patch flavours, durations, quantities."""

from __future__ import annotations

import pytest

from sandbox.apimachinery.errors import ApiError, conflict, invalid, not_found
from sandbox.apimachinery.patch import apply_patch, json_merge_patch, json_patch, strategic_merge_patch
from sandbox.apimachinery.registry import find_resource
from sandbox.apimachinery.selectors import fields_match, labels_match, parse_field_selector, parse_label_selector
from sandbox.apimachinery.units import cpu_milli, human_duration, mem_bytes, parse_quantity


def test_label_selectors() -> None:
    labels = {"app": "api", "tier": "backend"}
    assert labels_match(parse_label_selector("app=api"), labels)
    assert labels_match(parse_label_selector("app==api,tier!=frontend"), labels)
    assert labels_match(parse_label_selector("app in (api, web),tier"), labels)
    assert not labels_match(parse_label_selector("app notin (api)"), labels)
    assert not labels_match(parse_label_selector("!tier"), labels)
    assert labels_match(parse_label_selector("!missing"), labels)
    assert labels_match(parse_label_selector(""), labels)
    with pytest.raises(ApiError) as err:
        parse_label_selector("app=(")
    assert err.value.code == 400


def test_field_selectors() -> None:
    pod = {"metadata": {"name": "a"}, "status": {"phase": "Running"}, "spec": {"nodeName": "n1"}}
    assert fields_match(parse_field_selector("metadata.name=a,status.phase!=Failed"), pod)
    assert not fields_match(parse_field_selector("spec.nodeName==n2"), pod)


def test_strategic_merge_patch_merges_lists_by_key() -> None:
    obj = {
        "spec": {
            "template": {
                "metadata": {"annotations": {"a": "1"}},
                "spec": {
                    "containers": [
                        {"name": "api", "image": "x:1", "env": [{"name": "A", "value": "1"}]},
                        {"name": "side", "image": "s:1"},
                    ]
                },
            }
        }
    }
    patch = {
        "spec": {
            "template": {
                "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now", "a": None}},
                "spec": {
                    "containers": [
                        {"name": "api", "image": "x:2", "env": [{"name": "B", "value": "2"}]},
                        {"name": "side", "$patch": "delete"},
                    ]
                },
            }
        }
    }
    out = strategic_merge_patch(obj, patch)
    tpl = out["spec"]["template"]
    assert tpl["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": "now"}
    assert [c["name"] for c in tpl["spec"]["containers"]] == ["api"]
    assert tpl["spec"]["containers"][0]["image"] == "x:2"
    assert [e["name"] for e in tpl["spec"]["containers"][0]["env"]] == ["A", "B"]
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "x:1"  # input untouched


def test_json_merge_patch_replaces_lists() -> None:
    out = json_merge_patch({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"c": None}})
    assert out == {"a": [3], "b": {"d": 2}}


def test_json_patch_operations() -> None:
    doc = {"spec": {"replicas": 3, "l": [1, 2]}, "metadata": {"annotations": {"x": "1"}}}
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/spec/l/-", "value": 3},
        {"op": "remove", "path": "/spec/l/0"},
        {"op": "test", "path": "/spec/replicas", "value": 5},
        {"op": "copy", "from": "/spec/replicas", "path": "/spec/copied"},
        {"op": "move", "from": "/metadata/annotations/x", "path": "/metadata/annotations/y"},
        {"op": "add", "path": "/metadata/annotations/a~1b", "value": "slash"},
    ]
    out = json_patch(doc, ops)
    assert out["spec"] == {"replicas": 5, "l": [2, 3], "copied": 5}
    assert out["metadata"]["annotations"] == {"y": "1", "a/b": "slash"}
    with pytest.raises(ApiError) as err:
        json_patch(doc, [{"op": "test", "path": "/spec/replicas", "value": 9}])
    assert err.value.code == 422
    with pytest.raises(ApiError):
        json_patch(doc, [{"op": "replace", "path": "/nope/x", "value": 1}])


def test_apply_patch_rejects_unknown_media_type() -> None:
    with pytest.raises(ApiError) as err:
        apply_patch({}, "application/xml", b"{}")
    assert err.value.code == 415


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (7200, "120m"),
        (4 * 3600 + 300, "4h5m"),
        (30 * 3600, "30h"),
        (3 * 86400, "3d"),
        (12 * 86400, "12d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_human_duration_matches_kubectl(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_quantities() -> None:
    assert cpu_milli("250m") == 250
    assert cpu_milli("2") == 2000
    assert mem_bytes("2Gi") == 2 * 1024**3
    assert mem_bytes("1938Mi") == 1938 * 1024**2
    with pytest.raises(ValueError):
        parse_quantity("lots")


def test_status_objects() -> None:
    res = find_resource("apps", "v1", "deployments")
    assert res is not None
    st = not_found(res, "api").status()
    assert st == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "api" not found',
        "reason": "NotFound",
        "code": 404,
        "details": {"name": "api", "group": "apps", "kind": "deployments"},
    }
    assert conflict(res, "api").code == 409
    inv = invalid("Deployment", "apps", "api", [("spec.replicas", "FieldValueInvalid", "Invalid value: -1")])
    assert inv.code == 422 and inv.details and inv.details["causes"][0]["field"] == "spec.replicas"
