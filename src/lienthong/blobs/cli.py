"""``lienthong blobs``: garbage collection of blobs no row refers to."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from lienthong.blobs import make_blob_store
from lienthong.blobs.gc import Collector, blob_columns
from lienthong.clock import SystemClock
from lienthong.config import Settings
from lienthong.db import Database

blobs_app = typer.Typer(help="The blob store (package and attachment files)", no_args_is_help=True)


def collector(settings: Settings, db: Database, grace_seconds: int | None = None) -> Collector:
    """The collector of ``settings`` (grace ``blob_gc_grace_seconds`` unless given)."""
    from lienthong.schema import load_all

    grace = settings.blob_gc_grace_seconds if grace_seconds is None else grace_seconds
    return Collector(
        db=db,
        blobs=make_blob_store(settings),
        columns=blob_columns(load_all()),
        clock=SystemClock(),
        grace=timedelta(seconds=grace),
        data_dir=settings.data_dir,
        staging_dir=settings.staging_dir,
    )


@blobs_app.command("gc")
def gc(
    grace_seconds: Annotated[
        int | None,
        typer.Option(
            help="Remove only blobs last written longer ago than this (default: the setting "
            "blob_gc_grace_seconds); shorter than the longest request only with the hub stopped"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Count, remove nothing")] = False,
) -> None:
    """Remove the blobs no row refers to once older than the grace period, and the staging
    folders left by a crash. Safe while the hub serves; one collector per host at a time
    (this command waits for the hub's periodic one to finish)."""
    settings = Settings()
    db = Database.from_url(
        settings.database_url, sqlite_synchronous=settings.sqlite_synchronous, pool_size=2
    )
    try:
        report = collector(settings, db, grace_seconds).run(wait=True, dry_run=dry_run)
    finally:
        db.dispose()
    assert report is not None  # run(wait=True) always gets its turn
    typer.echo(json.dumps(report.as_dict()))


@blobs_app.command("fixity")
def fixity() -> None:
    """Re-hash every blob a row refers to and report (JSON) those whose bytes no longer
    match their SHA-256 name or that are gone; exit code 1 when any is. Recorded as the
    audit event blobs.fixity_checked."""
    from lienthong.blobs.fixity import check_fixity
    from lienthong.schema import load_all

    settings = Settings()
    db = Database.from_url(
        settings.database_url, sqlite_synchronous=settings.sqlite_synchronous, pool_size=2
    )
    try:
        report = check_fixity(
            db,
            make_blob_store(settings),
            blob_columns(load_all()),
            SystemClock(),
            actor="cli",
        )
    finally:
        db.dispose()
    typer.echo(json.dumps(report.as_dict()))
    if not report.ok:
        raise typer.Exit(1)
