"""One module per analysis (a figure of the paper, a table, a study beyond it), each ending with
``ANALYSIS = Analysis(...)``: ``reports.registry`` imports every module here. To add one, copy
the closest module, name its tables, findings, plot, notebook and deck pages, and add the notebook."""
