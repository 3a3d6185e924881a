"""The campaigns context owns campaigns, ad sets and ads, the brief parser, the creation saga, publishing."""
