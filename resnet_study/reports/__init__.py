"""Reports: reading the tables (tables), the paper's claims beside our findings (findings), the
notebooks' figures (plots), one module per analysis (analyses/, listed by registry, typed in
analysis), the notebooks' runner (notebooks) and the deck (deck, story, slide_figures, pptx_deck,
pdf_deck, slides)."""
