"""Errors the command line turns into exit codes: bad input is 2, everything else 1."""


class BadInputError(Exception):
    """The user gave something unusable; the message names the problem."""


class RunNotFoundError(BadInputError):
    def __init__(self, run_id: str, runs_dir: object) -> None:
        super().__init__(f"no run {run_id!r} in {runs_dir}")
        self.run_id = run_id
