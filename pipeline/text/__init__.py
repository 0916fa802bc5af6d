"""Text helpers every stage may use: sentences, words (tokenizers, stop words) and the calendar.
Nothing here knows of articles, threads or briefs. (Amounts of money and whether two sentences
say the same thing are facts of a text: `understand/facts/figures.py` and `facts/meaning.py`.)"""
