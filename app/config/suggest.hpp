// "Did you mean ...?" for misspelt keys, enum choices and units: one rule everywhere, so users learn what to expect.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dcsim::app {

// Optimal-string-alignment Damerau-Levenshtein distance: a swap of two neighbours ("bandwith" -> "badnwith")
// counts as one edit, which is the typo people actually make.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates closest to `word`: a case-insensitive exact match wins; otherwise those within a distance that
// grows with the word's length (1 for short words, about a third of the length for long ones). Best first, ties in
// the order given. Empty when nothing is close: a wild guess is worse than none.
std::vector<std::string> closest_matches(std::string_view word, const std::vector<std::string>& candidates);

// "did you mean 'x'?", "did you mean 'x' or 'y'?", or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// "'a', 'b' or 'c'": for messages that list the choices.
std::string quoted_list(const std::vector<std::string>& items, std::string_view last_joiner = "or");

}  // namespace dcsim::app
