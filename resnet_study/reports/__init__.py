"""Reports: reading the tables (tables), the paper's claims beside our findings (findings), the
notebooks' figures (plots) and the deck (deck, pages, slide_figures, pptx_deck, pdf_deck, slides)."""
