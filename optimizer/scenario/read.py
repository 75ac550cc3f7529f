"""The readers: the scenario's YAML file, its input tables, and a cheap probe of the street network.

Each reader reports what stops a file being read as problems (file, column, fix) instead of raising,
so that one run lists every unreadable input together. Only a scenario file that cannot be read at all
ends the reading at once (:class:`~optimizer.errors.ScenarioError`): nothing else can be checked then.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import Problem, ScenarioError, closest, did_you_mean
from ..io import read_table
from .messages import ids, warning

TABLE_INPUTS = ("residences", "sites", "outlets", "walk_minutes")
SHEETS = (".csv", ".xlsx", ".xls")  # read by pandas; everything else is a vector layer

# ---------------------------------------------------------------------------------------------------------
# the scenario file
# ---------------------------------------------------------------------------------------------------------


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, noting keys given twice in one mapping (PyYAML silently keeps the last)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                k = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if k in seen:
                    self.duplicates.append((key_node.value, seen[k], line))
                else:
                    seen[k] = line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """The scenario text parsed; a key given twice in one mapping is a problem, not silently the last."""
    loader = _YamlLoader(text)
    try:
        raw = loader.get_single_data()
    finally:
        loader.dispose()
    found = [
        Problem(
            f"key '{key}' appears twice (lines {first} and {second}): only the last would be used",
            file=file,
            column=str(key),
            fix="keep one of them (merge their contents)",
        )
        for key, first, second in loader.duplicates
    ]
    return raw, found


def _not_a_scenario_file(path: Path) -> Problem | None:
    file = str(path)
    if not path.exists():
        return Problem("scenario file not found", file=file, fix="check the path")
    if path.is_dir():
        return Problem(
            "is a folder, not a scenario file",
            file=file,
            fix="give the scenario's YAML file (e.g. scenario.yaml inside that folder)",
        )
    return None


def _bad_character(path: Path, e: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (a control character), located by line."""
    line = path.read_text(encoding="utf-8").count("\n", 0, e.position) + 1
    ch = e.character
    shown = f"U+{ch:04X}" if isinstance(ch, int) else repr(ch)
    return Problem(
        f"broken YAML at line {line}: character {shown} is not allowed in YAML",
        file=str(path),
        fix="delete the stray character (it may be invisible: retype the line)",
    )


def _broken_yaml(path: Path, e: yaml.YAMLError) -> Problem:
    mark = getattr(e, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return Problem(
        f"broken YAML{where}: {getattr(e, 'problem', e)}",
        file=str(path),
        fix="check indentation and that every 'key: value' has a space after the colon",
    )


def read_scenario_file(path: Path) -> tuple[Any, list[Problem]]:
    """The scenario file's contents (``{}`` when empty) and the problems found while parsing it.

    Raises :class:`~optimizer.errors.ScenarioError` when the file cannot be read or parsed at all.
    """
    file = str(path)
    fatal = _not_a_scenario_file(path)
    if fatal is None:
        try:
            raw, found = parse_yaml(path.read_text(encoding="utf-8"), file)
            return ({} if raw is None else raw), found
        except OSError as e:
            fatal = Problem(
                f"cannot read the scenario file: {e.strerror or e}", file=file, fix="check the path"
            )
        except yaml.reader.ReaderError as e:
            fatal = _bad_character(path, e)
        except yaml.YAMLError as e:
            fatal = _broken_yaml(path, e)
        except UnicodeDecodeError:
            fatal = Problem("the scenario file is not UTF-8 text", file=file, fix="save it as UTF-8")
    raise ScenarioError([fatal])


# ---------------------------------------------------------------------------------------------------------
# the input tables
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    """The tables a scenario file names, as read (None: absent or unreadable), and every file used."""

    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # table name -> absolute path, for messages
    used: list[Path] = field(default_factory=list)  # the scenario file and every input it names


def input_path(folder: Path, ref: object) -> Path:
    """A path from the scenario file: relative to the scenario's folder unless absolute."""
    return (folder / str(ref)).resolve() if not Path(str(ref)).is_absolute() else Path(str(ref))


def read_inputs(raw: Any, path: Path) -> tuple[Inputs, list[Problem]]:
    """Read every table the scenario file names (a mapping or list in place of a path is left to the
    config checks), and probe the street network file."""
    folder = path.parent
    section = raw.get("inputs") if isinstance(raw, dict) else None
    inputs = section if isinstance(section, dict) else {}
    out, found = Inputs(used=[path]), []
    for name in TABLE_INPUTS:
        ref = inputs.get(name)
        out.tables[name] = None
        if ref is None or isinstance(ref, (dict, list)):
            continue
        p = input_path(folder, ref)
        out.files[name] = str(p)
        out.used.append(p)
        if not p.exists():
            fix = f"check inputs.{name} (paths are relative to the scenario's folder)"
            found.append(_problem(p, name, f"{name} file not found", fix))
            continue
        layer = inputs.get(f"{name}_layer")
        out.tables[name], problems = read_input(p, name, layer if isinstance(layer, (str, int)) else None)
        found += problems
    network, problems = _network(raw, folder)
    out.used += network
    return out, found + problems


def read_input(p: Path, name: str, layer: str | int | None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One input table, or None with the problems that stop it being read."""
    for before in (_not_a_table_file, _layer_not_chosen):
        found = before(p, name, layer)
        if found:
            return None, found
    notes = _other_sheets(p, name, layer)
    df, found = _read(p, name, layer)
    if df is None:
        return None, notes + found
    for after in (_wrong_separator, _repeated_headers):
        found = after(p, name, df)
        if found:
            return None, notes + found
    return df, notes


def _problem(p: Path, name: str, message: str, fix: str) -> Problem:
    """A problem with input table ``name``, read from ``p``."""
    return Problem(message, file=str(p), column=f"inputs.{name}", fix=fix)


def _not_a_table_file(p: Path, name: str, layer: str | int | None) -> list[Problem]:
    if p.is_dir():
        return [
            _problem(
                p, name, f"the {name} path is a folder, not a file", f"point inputs.{name} at the {name} file"
            )
        ]
    if p.stat().st_size == 0:
        return [_problem(p, name, f"the {name} file is empty (0 bytes)", f"save the {name} table into it")]
    return []


def _layer_not_chosen(p: Path, name: str, layer: str | int | None) -> list[Problem]:
    """A vector file with several layers needs one chosen, and a chosen layer must exist."""
    if p.suffix.lower() in SHEETS:
        return []
    try:
        import pyogrio

        layers = [str(x) for x in pyogrio.list_layers(p)[:, 0]]
    except Exception:  # not a vector file: reading it reports why
        return []
    if layer is None and len(layers) > 1:
        guess = closest(name, layers)
        return [
            _problem(
                p,
                name,
                f"the {name} file has {len(layers)} layers ({ids(layers)}) and none is chosen",
                f"set inputs.{name}_layer to one of them" + (f", e.g. '{guess}'" if guess else ""),
            )
        ]
    if isinstance(layer, str) and layers and layer not in layers:
        return [
            _problem(
                p,
                name,
                f"no layer '{layer}' in the {name} file{did_you_mean(layer, layers)}; it has {ids(layers)}",
                f"set inputs.{name}_layer to one of its layers",
            )
        ]
    return []


def _other_sheets(p: Path, name: str, layer: str | int | None) -> list[Problem]:
    """A workbook with several sheets and none chosen: the first is read, with a warning."""
    if p.suffix.lower() not in (".xlsx", ".xls") or layer is not None:
        return []
    try:
        sheets = [str(x) for x in pd.ExcelFile(p).sheet_names]
    except Exception:  # reading it reports why
        return []
    if len(sheets) <= 1:
        return []
    return [
        warning(
            f"the workbook has {len(sheets)} sheets ({ids(sheets)}): reading the first, '{sheets[0]}'",
            file=str(p),
            column=f"inputs.{name}",
            fix=f"set inputs.{name}_layer to the sheet's name to choose another",
        )
    ]


def _read(p: Path, name: str, layer: str | int | None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table, or why it cannot be read (any reader failure is the user's file: reported, not raised)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_table(p, layer=layer), []  # type: ignore[arg-type]
    except UnicodeDecodeError:
        message = f"the {name} file is not UTF-8 text (saved as GBK/ANSI or UTF-16?)"
        fix = "save it as CSV UTF-8 (Excel: Save As > 'CSV UTF-8'; WPS/Notepad: encoding UTF-8)"
    except pd.errors.EmptyDataError:
        message, fix = f"the {name} file is empty", f"save the {name} table into it"
    except Exception as e:
        message = f"cannot read the {name} file: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        fix = "use GeoPackage, GeoJSON, Shapefile or CSV (UTF-8) with the documented columns"
    return None, [_problem(p, name, message, fix)]


def _wrong_separator(p: Path, name: str, df: pd.DataFrame) -> list[Problem]:
    """A CSV read as one column whose name holds another separator."""
    cols = [str(c) for c in df.columns]
    if p.suffix.lower() != ".csv" or len(cols) != 1:
        return []
    sep = next((s for s in (";", "\t", "|", "，") if s in cols[0]), None)
    if sep is None:
        return []
    shown = "tab" if sep == "\t" else f"'{sep}'"
    return [
        _problem(
            p,
            name,
            f"the columns are separated by {shown}, not commas (one column '{cols[0][:40]}' was read)",
            "save it as CSV with commas (Excel: Save As > 'CSV UTF-8 (comma delimited)')",
        )
    ]


def _repeated_headers(p: Path, name: str, df: pd.DataFrame) -> list[Problem]:
    """pandas renames a repeated header 'x' to 'x.1': say so instead of reading two columns."""
    if p.suffix.lower() not in SHEETS:
        return []
    cols = [str(c) for c in df.columns]
    base = {c: c.rsplit(".", 1) for c in cols}
    repeated = sorted({b[0] for b in base.values() if b[-1].isdigit() and b[0] in cols})
    return [
        Problem(
            f"column '{c}' appears more than once in the header",
            file=str(p),
            column=c,
            fix="keep one column of that name (delete or rename the others)",
        )
        for c in repeated
    ]


# ---------------------------------------------------------------------------------------------------------
# the street network (read only when walk times are made: here, only whether it opens)
# ---------------------------------------------------------------------------------------------------------


def _network(raw: Any, folder: Path) -> tuple[list[Path], list[Problem]]:
    """The street network file named under walk.network (if any) and whether it opens."""
    walk = raw.get("walk") if isinstance(raw, dict) else None
    if not isinstance(walk, dict) or not walk.get("network"):
        return [], []
    p = (folder / str(walk["network"])).resolve()
    if not p.exists():
        return [p], [
            Problem(
                "street network file not found",
                file=str(p),
                column="walk.network",
                fix="check walk.network (paths are relative to the scenario's folder)",
            )
        ]
    return [p], probe_network_file(p)


def _network_problem(p: Path, message: str, fix: str) -> Problem:
    return Problem(message, file=str(p), column="walk.network", fix=fix)


def probe_network_file(p: Path) -> list[Problem]:
    """Cheap checks that the street network opens and has lines (it is read only when walk times are made)."""
    if p.is_dir():
        return [
            _network_problem(
                p, "the street network path is a folder, not a file", "give the .osm/.osm.pbf file"
            )
        ]
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = pyogrio.list_layers(p)
    except Exception as e:  # the user's file, reported not raised
        return [
            _network_problem(
                p,
                f"cannot read the street network file: "
                f"{str(e).splitlines()[0] if str(e) else type(e).__name__}",
                "give an OpenStreetMap .osm or .osm.pbf file, or a line layer (GeoPackage, Shapefile)",
            )
        ]
    kinds = [str(t or "") for t in layers[:, 1]]
    if not any("Line" in k for k in kinds) and p.suffix.lower() not in (".osm", ".pbf"):
        return [
            _network_problem(
                p,
                f"the street network file has no line layer (layers: {ids(list(layers[:, 0]))})",
                "give street centre lines (LineString), or an OpenStreetMap .osm/.osm.pbf file",
            )
        ]
    return []
