"""Command line of the set-up steps (the Makefile calls these):

    python -m hongong data                         Fashion-MNIST into Keras's cache, verified
    python -m hongong system-packages PACKAGE...   install missing Debian packages (as root)
"""

import sys

from hongong.setup import apt, data


def main(argv: list[str]) -> int:
    command, *args = argv or ["help"]
    if command == "data" and not args:
        try:
            source = data.ensure_fashion_mnist()
        except data.DataUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"Fashion-MNIST ready in {data.cache_dir(data.default_keras_home())}: {source}.")
        return 0
    if command == "system-packages" and args:
        failure = apt.install(args)
        if failure:
            print(f"error: could not install {' '.join(args)}: {failure}", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
