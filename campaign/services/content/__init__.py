"""Published content: case studies, quotes, Markdown, and the campaign's seed facts."""
