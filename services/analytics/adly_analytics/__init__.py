"""The analytics context owns ad-platform metrics, order attribution, spend, revenue, ROAS and CPA."""
