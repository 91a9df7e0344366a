"""The CLI's `store` commands: `store copy` moves this machine's run store (SKINSCOPE_DATA_DIR's
SQLite file and its files) into a team's shared store, idempotently, and prints what it did
with checksums of both sides."""

from __future__ import annotations

import json

from .cli_common import say
from .errors import InputError


def add_parser(commands) -> None:
    store = commands.add_parser("store", help="move this machine's run store into the shared one")
    actions = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy", help="copy this machine's run store into PostgreSQL (and its files into S3)"
    )
    copy.add_argument("--to", required=True, help="postgresql://user:password@host:port/db")
    copy.add_argument("--files", help="s3://bucket/prefix (default: the files stay where they are)")


def store_command(args) -> int:
    from .store import SqliteRunStore, default_path
    from .store.copying import copy_run_store
    from .store.files_s3 import S3Files
    from .store.postgres import PostgresRunStore

    if not args.to.startswith(("postgresql://", "postgres://")):
        raise InputError("--to takes a postgresql://user:password@host/db address.")
    if args.files and not args.files.startswith("s3://"):
        raise InputError("--files takes an s3://bucket/prefix address.")
    source = SqliteRunStore(default_path())
    files = S3Files(args.files) if args.files else source.run_files
    target = PostgresRunStore(args.to, files)
    try:
        report = copy_run_store(source, target, same_files=not args.files)
    finally:
        target.close()
        source.close()
    print(json.dumps(report.to_dict(), indent=2))
    verdict = "checksums match" if report.matches else "checksums DIFFER"
    say(
        f"copied {report.copied} of {report.runs} runs ({report.already} there already), "
        f"{report.files} files; {verdict}"
    )
    return 0 if report.matches else 1
