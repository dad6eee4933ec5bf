"""Modules under ``nasbench_lab.cli`` that add subcommands (each defines ``add_parser(subparsers)``)."""

COMMAND_MODULES: list[str] = [
    "cmd_data",  # list, info, query, convert, export
    "cmd_compare",  # compare, plot
    "cmd_live",  # build-table, live-check, live-train (optional extra: live)
    "cmd_predictors",  # predictors, proxies
    "cmd_surrogate",  # fit-surrogate
    "cmd_download",  # download (official files)
]
