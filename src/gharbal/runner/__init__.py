"""How work is driven: the pipeline (`gharbal.runner.pipeline`), its phases and their runner
(`gharbal.runner.phases`), resume bookkeeping (`gharbal.runner.shards`), runs whose nodes share only a
bucket (`gharbal.runner.nodes`), and the extract-only and evaluation drivers
(`gharbal.runner.extract`, `gharbal.runner.evaluate`).

The top floor below the CLI: it may import every family; nothing below imports it. (Not named
``run``: `gharbal.run` is the public function that runs the pipeline.)
"""
