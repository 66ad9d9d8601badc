#include "app/config/suggest.hpp"

#include <algorithm>
#include <cctype>

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  // Three rows suffice for the transposition rule; keys are short so this stays cheap.
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::vector<std::string> closest_matches(std::string_view word, const std::vector<std::string>& candidates) {
  std::vector<std::string> out;
  for (const auto& c : candidates)
    if (c != word && equal_ignoring_case(c, word)) out.push_back(c);
  if (!out.empty()) return out;

  const std::size_t limit = std::max<std::size_t>(1, (word.size() + 1) / 3);
  std::size_t best = limit + 1;
  for (const auto& c : candidates) {
    if (c == word) continue;
    const std::size_t d = edit_distance(word, c);
    // Never suggest a word that shares nothing with the input ('c' for 'b').
    if (d > limit || d > best || d >= std::min(word.size(), c.size())) continue;
    if (d < best) out.clear();
    best = d;
    out.push_back(c);
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& items, std::string_view last_joiner) {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? " " + std::string(last_joiner) + " " : ", ";
    s += "'" + items[i] + "'";
  }
  return s;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto matches = closest_matches(word, candidates);
  if (matches.empty()) return {};
  if (matches.size() > 3) matches.resize(3);
  return "did you mean " + quoted_list(matches) + "?";
}

}  // namespace dcsim::app
