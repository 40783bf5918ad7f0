"""Transform node scripts: parsed, never handed to a shell."""

from .script import Export, Script, WriteFile, parse_script

__all__ = ["Export", "Script", "WriteFile", "parse_script"]
