"""``lienthong reporting ...``: regimes as documents (import, export, the JSON Schema) and the
indicator catalogue. The operator on the server acts for any issuer; the regime's addressing
and indicators are checked as over the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.reporting.documents import regime_schema_text
from lienthong.reporting.regime_service import RegimeDefinitions
from lienthong.web.container import build_container

reporting_app = typer.Typer(help="Decree 09 reporting (chế độ báo cáo)", no_args_is_help=True)
regime_app = typer.Typer(help="Reporting regimes as JSON documents", no_args_is_help=True)
indicators_app = typer.Typer(help="The shared indicator catalogue", no_args_is_help=True)
reporting_app.add_typer(regime_app, name="regime")
reporting_app.add_typer(indicators_app, name="indicators")
console = Console()
errors = Console(stderr=True)


@contextmanager
def _definitions() -> Iterator[RegimeDefinitions]:
    container = build_container(Settings())
    try:
        if container.reporting is None:
            errors.print("[red]Reporting is not configured on this hub.[/red]")
            raise typer.Exit(1)
        yield container.reporting.definitions
    except LienthongError as exc:
        errors.print(f"[red]{exc.code}[/red]: {escape(exc.message)}")
        for item in exc.detail.get("problems", []) + exc.detail.get("conflicts", []):
            errors.print(f"  {escape(json.dumps(item, ensure_ascii=False))}")
        raise typer.Exit(1) from exc
    finally:
        container.close()


@regime_app.command("import")
def import_regime(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A regime document")],
) -> None:
    """Import a whole regime (docs/schemas/regime.schema.json); all or nothing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        errors.print(f"[red]REGIME_INVALID[/red]: not a JSON document: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    with _definitions() as definitions:
        regime = definitions.import_document(None, data)
    console.print(
        f"{regime.code}: {regime.status}, versions "
        + ", ".join(f"{v.version} ({v.state}, from {v.effective_from})" for v in regime.versions)
    )


@regime_app.command("export")
def export_regime(
    code: Annotated[str, typer.Argument(help="The regime's code, e.g. KTXH")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout)")] = None,
) -> None:
    """Write a whole regime as one JSON document."""
    with _definitions() as definitions:
        document = definitions.export(code)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@regime_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a regime document (docs/schemas/regime.schema.json)."""
    typer.echo(regime_schema_text(), nl=False)


@indicators_app.command("import")
def import_indicators(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file")],
) -> None:
    """Add or update catalogue indicators (code,name,unit,aggregation,disaggregations)."""
    text = path.read_text(encoding="utf-8-sig")
    with _definitions() as definitions:
        count = definitions.import_indicators_csv(text, actor="cli")
    console.print(f"{count} indicators imported")
