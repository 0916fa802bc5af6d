"""Text helpers every stage may use: sentences, words, the calendar, amounts of money, and
whether two sentences say the same thing. Nothing here knows of articles, threads or briefs."""
