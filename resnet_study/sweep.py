def add_sweep_parser(sub):
    pass
