"""Every command and every option of the command line explains itself in --help."""
import argparse

from accelsim.cli import build_parser


def _walk(parser, path):
    yield path, parser
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            helps = {c.dest: c.help for c in a._choices_actions}
            for name, sub in a.choices.items():
                assert helps.get(name), f"{' '.join(path + [name])}: the command has no help line"
                yield from _walk(sub, path + [name])


def test_every_option_of_every_command_has_help():
    missing = [f"{' '.join(path)} {'/'.join(a.option_strings) or a.dest}"
               for path, p in _walk(build_parser(), ["accelsim"]) for a in p._actions
               if not isinstance(a, argparse._SubParsersAction) and (not a.help or a.help == argparse.SUPPRESS)]
    assert not missing, missing


def test_the_top_level_help_names_every_design():
    from accelsim.accelerators import available, get
    shipped = [d for d in available() if get(d).__module__.startswith("accelsim.accelerators")]  # not a test's own
    assert len(shipped) >= 6
    text = build_parser().description
    assert all(d.lower() in text.lower() for d in shipped), text
