from modelcensus.cli.main import entry

entry()
