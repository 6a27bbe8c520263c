"""The CLI's own surface: --version, a bare ``subpipe``, a help line for every argument, --lang's form."""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Iterator

import pytest

from pipeline.cli.main import COMMANDS, build_parser, main


def _parsers(parser: argparse.ArgumentParser, name: str = "subpipe") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """``parser`` and every parser below it, each with its command line."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {command}")


def test_every_argument_of_every_command_has_help() -> None:
    parsers = dict(_parsers(build_parser()))
    assert set(parsers) == {"subpipe", *(f"subpipe {c}" for c in COMMANDS)}
    undocumented = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, parser in parsers.items()
        for action in parser._actions
        if not action.help or not action.help.strip() or action.help == argparse.SUPPRESS
    ]
    assert undocumented == []


def test_the_help_walker_catches_an_argument_without_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.choices["doctor"].add_argument("secret")
    assert any(a.dest == "secret" and not a.help for _, p in _parsers(parser) for a in p._actions)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_of_each_command_shows_every_option_with_its_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines: compare words
    parser = dict(_parsers(build_parser()))[f"subpipe {command}"]
    for action in parser._actions:
        name = action.option_strings[0] if action.option_strings else str(action.metavar or action.dest)
        assert name in out, (command, name)
        assert " ".join(str(action.help).split())[:40] in out, (command, action.dest)


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"subpipe {importlib.metadata.version('subpipe')}\n"


def test_bare_subpipe_prints_the_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    # Like git and ffmpeg (both exit 1 when given nothing): nothing was done, so not 0; and here a
    # usage problem is 2. The help goes to stdout, as git's, so that `subpipe | less` shows it.
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: subpipe") and all(command in out for command in COMMANDS)
    assert main(["-q"]) == 2  # global options alone ask for nothing either


def test_strict_says_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--help"])
    check = " ".join(capsys.readouterr().out.split())
    assert "--strict report what the reader repaired as errors (exit 1)" in check
    main(["burn", "--help"])
    burn = " ".join(capsys.readouterr().out.split())
    assert "--strict refuse malformed input, naming every problem with its file and line (exit 2)" in burn


@pytest.mark.parametrize(
    ("argv", "told"),
    [
        (["tracks", "t.json", "--lang", "en,ar", "-o", "out"], "repeat it: --lang en --lang ar"),
        (["mux", "v.mp4", "a.srt", "b.srt", "--lang", "en, ar", "-o", "o.mkv"], "repeat it: --lang en --lang ar"),
        (["check", "a.srt", "--lang", "en,ko,ja"], "repeat it: --lang en --lang ko --lang ja"),
        (["sync", "a.srt", "--video", "v.mp4", "-o", "o.srt", "--lang", "en,ar"], "repeat it: --lang en --lang ar"),
        (["burn", "v.mp4", "a.srt", "-o", "o.mp4", "--lang", "en,ar"], "give one language"),
        (["convert", "a.srt", "b.vtt", "--lang", "en,ar"], "give one language"),
    ],
    ids=["tracks", "mux", "check", "sync", "burn", "convert"],
)
def test_a_comma_in_lang_is_refused_with_the_form_to_use(
    argv: list[str], told: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "argument --lang:" in err and told in err


def test_every_command_with_lang_refuses_the_comma_form(capsys: pytest.CaptureFixture[str]) -> None:
    for name, parser in _parsers(build_parser()):
        lang = next((a for a in parser._actions if "--lang" in a.option_strings), None)
        if lang is not None:
            assert lang.type is not None and lang.type is not str, name
            with pytest.raises(argparse.ArgumentTypeError):
                lang.type("en,ar")  # type: ignore[operator]
            assert lang.type("zh-Hant") == "zh-Hant"  # type: ignore[operator]
