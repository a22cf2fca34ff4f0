"""Entry point for ``spark-submit``: the same arguments as ``storyline spark analyze``.

    spark-submit --master yarn \\
        $(python -c 'import storyline.spark.submit as m; print(m.__file__)') \\
        s3a://bucket/cc-news/2025/02/ --output s3a://bucket/storyline/2025-02

Master, executors and memory come from spark-submit; storyline must be
installed on every executor (or shipped with ``--archives`` as a packed venv).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from storyline.cli.spark import analyze_command

    analyze_command.main(args=argv if argv is not None else sys.argv[1:], prog_name="storyline-spark-submit")


if __name__ == "__main__":
    main()
