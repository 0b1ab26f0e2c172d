"""`tf.app`: `run(main, argv)` parses the command line into `tf.flags.FLAGS` and calls
`main(argv)`, as TF 1.x does on top of absl-py's `app.run` (absl-py is the optional `app`
extra)."""

import sys as _sys

from flowexec.platform import flags  # noqa: F401 - tf.app.flags


def _parse_flags_tolerate_undef(argv):
    """Parses known flags only: TF 1.x programs often pass flags of other libraries."""
    return flags.FLAGS(_sys.argv if argv is None else argv, known_only=True)


def run(main=None, argv=None):
    """Runs `main(argv)` with flags parsed, then exits with its return value.

    Args:
        main: the program's main function; defaults to `__main__.main`.
        argv: the command line (defaults to `sys.argv`); its flags are parsed into
            `tf.flags.FLAGS` and the remaining arguments are passed to `main`.

    Raises:
        SystemExit: always, with `main`'s return value (absl's `app.run`).
    """
    main = main or _sys.modules["__main__"].main
    try:
        from absl import app as absl_app
    except ImportError as e:
        raise ImportError("tf.app.run needs absl-py: pip install absl-py "
                          "(or pip install 'flowexec[app]')") from e
    absl_app.run(main=main, argv=argv, flags_parser=_parse_flags_tolerate_undef)
