"""The file to hand spark-submit: it runs coach's command line on the driver, so
`spark-submit [options] "$(python -m coach.spark.submit --path)" score --engine spark IN -o OUT`
runs `coach score` with the cluster's master. (`coach/__main__.py` uses a relative import, which
a file run by path cannot.) `--path` alone prints where this file is installed."""

import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["--path"]:
        print(__file__)
        sys.exit(0)
    from coach.cli import main

    main()
