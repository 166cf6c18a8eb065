"""``openmso x12 ...``: validate, summarize and pretty-print X12 files (also ``python -m openmso.x12``)."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from openmso.x12.ack999 import parse_999
from openmso.x12.balance import check_balance
from openmso.x12.claim837p_reader import parse_837p
from openmso.x12.envelope import EnvelopeReader
from openmso.x12.errors import X12Error
from openmso.x12.loops import loop_names
from openmso.x12.remit835_reader import parse_835
from openmso.x12.status277ca import parse_277ca
from openmso.x12.summary import summarize
from openmso.x12.tokenizer import SegmentReader

app = typer.Typer(help="ANSI X12 005010 files: validate, summarize, pretty-print.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
error_console = Console(stderr=True, highlight=False, soft_wrap=True)

_PARSERS = {"835": parse_835, "999": parse_999, "277": parse_277ca}


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


def _problems(path: Path) -> tuple[int, list[str]]:
    """Transactions read and every located problem in one file (the first fatal one ends reading)."""
    problems: list[str] = []
    reader = EnvelopeReader(path, strict=False)
    count = 0
    try:
        for transaction in reader:
            count += 1
            parser = _PARSERS.get(transaction.set_id)
            if transaction.set_id == "837" and "X222" in transaction.implementation:
                parser = parse_837p
            if parser is None:
                continue
            try:
                parsed = parser(transaction)
            except X12Error as error:
                problems.append(str(error))
                continue
            if transaction.set_id == "835":
                problems.extend(f"balance: {finding}" for finding in check_balance(parsed))
    except X12Error as error:
        problems.append(str(error))
    problems[:0] = [str(error) for error in reader.errors]
    return count, problems


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Check envelopes, counts, control numbers, typed 835/837P/999/277CA content and 835 balancing."""
    failed = 0
    for path in files:
        count, problems = _problems(path)
        if problems:
            failed += 1
            console.print(f"[red]INVALID[/red] {escape(str(path))}: {len(problems)} problem(s)")
            for problem in problems:
                console.print(f"  {escape(problem)}")
        else:
            console.print(f"[green]OK[/green] {escape(str(path))}: {count} transaction set(s)")
    raise typer.Exit(1 if failed else 0)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@app.command()
def summary(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Per transaction: type, control number; for 835 payer, payee, trace, totals and balance."""
    try:
        summaries = list(summarize(file))
    except X12Error as error:
        error_console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(1) from None
    if format == OutputFormat.json:
        console.print_json(json.dumps(summaries, default=_json_default))
        return
    for item in summaries:
        table = Table(title=f"{item['type']} {item['control_number']}", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for key, value in item.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            elif isinstance(value, list):
                value = "\n".join(str(v) for v in value) or "-"
            table.add_row(key, escape(str(value)))
        console.print(table)


@app.command()
def pretty(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """One segment per line, indented by envelope, with the TR3 loop name of each segment."""
    reader = SegmentReader(file)
    pending: list[list[str]] = []
    try:
        for _, _, elements in reader:
            separator = reader.delimiters.element
            segment_id = elements[0]
            if segment_id == "ST" or pending:
                pending.append(elements)
                if segment_id != "SE":
                    continue
                set_id = pending[0][1] if len(pending[0]) > 1 else ""
                for loop, segment in zip(loop_names(set_id, pending), pending, strict=True):
                    console.print(f"    {loop:<8} {escape(separator.join(segment))}")
                pending = []
                continue
            indent = "  " if segment_id in ("GS", "GE") else ""
            console.print(f"{indent}{escape(separator.join(elements))}")
    except X12Error as error:
        error_console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(1) from None
