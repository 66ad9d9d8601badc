#include "app/config/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "app/config/suggest.hpp"

// GCC 12 reports a false -Wrestrict inside std::string for "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace dcsim::app {

std::string_view dimension_name(Dimension dim) {
  switch (dim) {
    case Dimension::dimensionless: return "a plain number";
    case Dimension::data: return "a data size";
    case Dimension::data_rate: return "a data rate";
    case Dimension::compute: return "an amount of compute";
    case Dimension::compute_rate: return "a compute rate";
    case Dimension::time: return "a duration";
    case Dimension::power: return "a power";
    case Dimension::energy: return "an energy";
    case Dimension::energy_per_bit: return "an energy per bit";
    case Dimension::frequency: return "a frequency";
  }
  return "a quantity";
}

std::string_view expected_text(Dimension dim) {
  switch (dim) {
    case Dimension::dimensionless: return "a plain number such as '0.5' or '50 %'";
    case Dimension::data: return "a data size such as '80 GiB' or '1.5 TB'";
    case Dimension::data_rate: return "a data rate such as '400 Gb/s' or '3.35 TB/s'";
    case Dimension::compute: return "an amount of compute such as '2 PFLOP'";
    case Dimension::compute_rate: return "a compute rate such as '989 TFLOP/s'";
    case Dimension::time: return "a duration such as '5 us', '10 ms' or '2 h'";
    case Dimension::power: return "a power such as '700 W' or '1.2 kW'";
    case Dimension::energy: return "an energy such as '5 kJ' or '1.2 kWh'";
    case Dimension::energy_per_bit: return "an energy per bit such as '1.3 pJ/bit'";
    case Dimension::frequency: return "a frequency such as '1.98 GHz'";
  }
  return "a quantity";
}

UnitError::UnitError(std::string text, std::string expected, std::string detail)
    : std::runtime_error("got '" + text + "', expected " + expected + (detail.empty() ? "" : " (" + detail + ")")),
      text_(std::move(text)),
      expected_(std::move(expected)),
      detail_(std::move(detail)) {}

namespace {

struct Unit {
  Dimension dim;
  double factor;     // SI value of 1 of this unit
  std::string long_name;
};

struct Prefix {
  const char* symbol;
  const char* name;
  double factor;
};

constexpr Prefix kBig[] = {{"", "", 1},          {"k", "kilo", 1e3},  {"M", "mega", 1e6}, {"G", "giga", 1e9},
                           {"T", "tera", 1e12},  {"P", "peta", 1e15}, {"E", "exa", 1e18}};
constexpr Prefix kBinary[] = {{"Ki", "kibi", 0x1p10}, {"Mi", "mebi", 0x1p20}, {"Gi", "gibi", 0x1p30},
                              {"Ti", "tebi", 0x1p40}, {"Pi", "pebi", 0x1p50}, {"Ei", "exbi", 0x1p60}};
constexpr Prefix kUpperK[] = {{"K", "kilo", 1e3}};  // "KB", "Kb/s": common enough for bytes and bits only
constexpr Prefix kSmall[] = {{"", "", 1},          {"m", "milli", 1e-3}, {"u", "micro", 1e-6}, {"µ", "micro", 1e-6},
                             {"μ", "micro", 1e-6}, {"n", "nano", 1e-9},  {"p", "pico", 1e-12}, {"f", "femto", 1e-15}};

using Table = std::unordered_map<std::string, Unit>;

template <std::size_t N>
void add(Table& t, const Prefix (&prefixes)[N], const std::string& base, const std::string& long_base, Dimension dim,
         double factor) {
  for (const auto& p : prefixes) t.emplace(p.symbol + base, Unit{dim, p.factor * factor, p.name + long_base});
}

const Table& units() {
  static const Table table = [] {
    Table t;
    using D = Dimension;
    t.emplace("%", Unit{D::dimensionless, 0.01, "percent"});
    for (const char* b : {"B", "byte", "bytes"}) {
      add(t, kBig, b, "bytes", D::data, 1);
      add(t, kUpperK, b, "bytes", D::data, 1);
      add(t, kBinary, b, "bytes", D::data, 1);
      add(t, kBig, std::string(b) + "/s", "bytes per second", D::data_rate, 1);
      add(t, kUpperK, std::string(b) + "/s", "bytes per second", D::data_rate, 1);
      add(t, kBinary, std::string(b) + "/s", "bytes per second", D::data_rate, 1);
    }
    add(t, kBig, "Bps", "bytes per second", D::data_rate, 1);
    add(t, kUpperK, "Bps", "bytes per second", D::data_rate, 1);
    for (const char* b : {"b", "bit", "bits"}) {  // no binary prefixes for bits: "Mib" reads as a typo of "MiB"
      add(t, kBig, b, "bits", D::data, 0.125);
      add(t, kUpperK, b, "bits", D::data, 0.125);
      add(t, kBig, std::string(b) + "/s", "bits per second", D::data_rate, 0.125);
      add(t, kUpperK, std::string(b) + "/s", "bits per second", D::data_rate, 0.125);
    }
    add(t, kBig, "bps", "bits per second", D::data_rate, 0.125);
    add(t, kUpperK, "bps", "bits per second", D::data_rate, 0.125);
    add(t, kBig, "FLOP", "FLOP", D::compute, 1);
    add(t, kBig, "FLOP/s", "FLOP per second", D::compute_rate, 1);
    add(t, kBig, "FLOPS", "FLOP per second", D::compute_rate, 1);
    add(t, kSmall, "s", "seconds", D::time, 1);
    t.emplace("min", Unit{D::time, 60, "minutes"});
    t.emplace("h", Unit{D::time, 3600, "hours"});
    add(t, kSmall, "W", "watts", D::power, 1);
    add(t, kBig, "W", "watts", D::power, 1);
    add(t, kSmall, "J", "joules", D::energy, 1);
    add(t, kBig, "J", "joules", D::energy, 1);
    add(t, kBig, "Wh", "watt-hours", D::energy, 3600);
    for (const char* b : {"J/bit", "J/b"}) add(t, kSmall, b, "joules per bit", D::energy_per_bit, 1);
    add(t, kBig, "Hz", "hertz", D::frequency, 1);
    return t;
  }();
  return table;
}

// A few units per dimension, for "unknown unit" messages.
std::string_view common_units(Dimension dim) {
  switch (dim) {
    case Dimension::dimensionless: return "none, or %";
    case Dimension::data: return "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB, and bits: b, Mb, Gb";
    case Dimension::data_rate: return "B/s, MB/s, GB/s, TB/s, GiB/s, Mb/s, Gb/s, Tb/s, Gbps";
    case Dimension::compute: return "FLOP, GFLOP, TFLOP, PFLOP, EFLOP";
    case Dimension::compute_rate: return "FLOP/s, GFLOP/s, TFLOP/s, PFLOP/s, TFLOPS";
    case Dimension::time: return "ps, ns, us, ms, s, min, h";
    case Dimension::power: return "mW, W, kW, MW, GW";
    case Dimension::energy: return "mJ, J, kJ, MJ, GJ, Wh, kWh, MWh";
    case Dimension::energy_per_bit: return "fJ/bit, pJ/bit, nJ/bit";
    case Dimension::frequency: return "Hz, kHz, MHz, GHz";
  }
  return "";
}

std::string_view example_unit(Dimension dim) {
  switch (dim) {
    case Dimension::dimensionless: return "";
    case Dimension::data: return "GiB";
    case Dimension::data_rate: return "GB/s";
    case Dimension::compute: return "TFLOP";
    case Dimension::compute_rate: return "TFLOP/s";
    case Dimension::time: return "ms";
    case Dimension::power: return "W";
    case Dimension::energy: return "kJ";
    case Dimension::energy_per_bit: return "pJ/bit";
    case Dimension::frequency: return "GHz";
  }
  return "";
}

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Why `unit` is not a unit of `dim`, with the nearest fix when there is one.
std::string explain_unit(std::string_view unit, Dimension dim) {
  const Table& t = units();
  const std::string u(unit);
  if (auto it = t.find(u); it != t.end()) {
    std::string why = "unit '" + u + "' is " + std::string(dimension_name(it->second.dim));
    if (t.count(u + "/s") && t.at(u + "/s").dim == dim) why += "; did you mean '" + u + "/s'?";
    return why;
  }
  if (unit.size() >= 5 && unit.substr(unit.size() - 5) == "FLOPs") {
    const std::string base(unit.substr(0, unit.size() - 1));
    return "'" + u + "' is ambiguous: write '" + base + "' for an amount of compute or '" + base + "/s' for a rate";
  }
  std::string squeezed;
  for (char c : unit)
    if (!is_space(c)) squeezed += c;
  if (squeezed != u && t.count(squeezed) && t.at(squeezed).dim == dim)
    return "unknown unit '" + u + "': write it without spaces, '" + squeezed + "'";

  std::vector<std::string> same_dim;
  for (const auto& [name, def] : t)
    if (def.dim == dim) same_dim.push_back(name);
  std::sort(same_dim.begin(), same_dim.end());
  auto matches = closest_matches(unit, same_dim);
  if (!matches.empty() && matches.size() <= 4) {
    std::vector<std::string> described;
    for (const auto& m : matches) described.push_back(m + "' (" + t.at(m).long_name + ")");
    std::string s = "unknown unit '" + u + "'; did you mean ";
    for (std::size_t i = 0; i < described.size(); ++i) {
      if (i > 0) s += i + 1 == described.size() ? " or " : ", ";
      s += "'" + described[i];
    }
    return s + "?";
  }
  if (dim == Dimension::dimensionless) return "a plain number takes no unit other than '%'";
  return "unknown unit '" + u + "'; units of " + std::string(dimension_name(dim)) + ": " +
         std::string(common_units(dim));
}

}  // namespace

std::vector<std::string> unit_symbols(Dimension dim) {
  std::vector<std::string> out;
  for (const auto& [symbol, unit] : units())
    if (unit.dim == dim) out.push_back(symbol);
  std::sort(out.begin(), out.end());
  return out;
}

double parse_quantity(std::string_view text, Dimension dim) {
  const std::string expected(expected_text(dim));
  auto fail = [&](std::string detail) { return UnitError(std::string(text), expected, std::move(detail)); };

  const std::string_view s = trim_space(text);
  if (s.empty()) throw fail("the value is empty");

  // Scan the number by hand: from_chars alone would accept "inf", "nan" and hex floats, and stop silently at "3..5".
  std::size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  const std::size_t mantissa = i;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) {
    if (dim != Dimension::dimensionless && i == 0 && units().count(std::string(s)))
      throw fail("the number is missing: write e.g. '1 " + std::string(s) + "'");
    throw fail("it does not start with a number");
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && is_digit(s[j])) {  // otherwise the E belongs to the unit ("2 EB", "2EB")
      while (j < s.size() && is_digit(s[j])) ++j;
      i = j;
    }
  }
  const std::size_t number_end = i;
  if (i < s.size() && (is_digit(s[i]) || s[i] == '.' || s[i] == ',' || s[i] == '_' || s[i] == '+' || s[i] == '-')) {
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j]) && (is_digit(s[j]) || std::string_view(".,_+-eE").find(s[j]) != std::string_view::npos)) ++j;
    throw fail("malformed number '" + std::string(s.substr(0, j)) + "'");
  }

  double value = 0;
  const char* first = s.data() + mantissa;
  const char* last = s.data() + number_end;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range) throw fail("the number is out of range");
  if (ec != std::errc() || ptr != last) throw fail("malformed number '" + std::string(s.substr(0, number_end)) + "'");
  if (s[0] == '-') value = -value;

  while (i < s.size() && is_space(s[i])) ++i;
  const std::string_view unit = s.substr(i);
  if (unit.empty()) {
    if (dim == Dimension::dimensionless) return value;
    throw fail("a bare number has no unit: write e.g. '" + std::string(s) + " " + std::string(example_unit(dim)) +
               "'");
  }
  const auto lead = static_cast<unsigned char>(unit.front());
  const bool letter = (lead >= 'a' && lead <= 'z') || (lead >= 'A' && lead <= 'Z') || lead == '%' || lead >= 0x80;
  if (!letter)
    throw fail("unexpected '" + std::string(1, unit.front()) + "' after '" + std::string(s.substr(0, number_end)) +
               "'");
  const auto it = units().find(std::string(unit));
  if (it == units().end() || it->second.dim != dim) throw fail(explain_unit(unit, dim));
  const double si = value * it->second.factor;
  if (!std::isfinite(si)) throw fail("the value is too large");
  return si;
}

namespace {

struct Scale {
  double factor;
  std::string unit;
};
using Scales = std::vector<Scale>;  // ascending by factor

// 3 significant digits, no exponent, trailing zeros dropped: 3.35, 80, 1.3, 989.
std::string three_digits(double x) {
  char buf[64];
  const int decimals = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

double round3(double x) {
  const double mag = std::pow(10.0, 2 - std::floor(std::log10(x)));
  return std::round(x * mag) / mag;
}

std::string format_scaled(double v, const Scales& scales) {
  std::size_t k = 0;
  const double a = std::fabs(v);
  if (v == 0) {
    while (k + 1 < scales.size() && scales[k].factor < 1) ++k;
    return "0 " + scales[k].unit;
  }
  while (k + 1 < scales.size() && scales[k + 1].factor <= a) ++k;
  double scaled = round3(a / scales[k].factor);
  if (scaled >= 1000 && k + 1 < scales.size() && scales[k + 1].factor <= 1000 * scales[k].factor) {
    ++k;  // 999.6 rounds up into the next prefix
    scaled = round3(a / scales[k].factor);
  }
  std::string num;
  if (scaled < 1 || scaled >= 1000) {  // beyond the table at either end
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", a / scales[k].factor);
    num = buf;
  } else {
    num = three_digits(scaled);
  }
  return (v < 0 ? "-" : "") + num + (scales[k].unit.empty() ? "" : " ") + scales[k].unit;
}

Scales prefixed(std::initializer_list<std::pair<const char*, double>> prefixes, const std::string& base) {
  Scales out;
  for (const auto& [p, f] : prefixes) out.push_back({f, p + base});
  return out;
}

const Scales& scales_for(Dimension dim, bool binary_data) {
  static const auto big = {std::pair<const char*, double>{"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9},
                           {"T", 1e12}, {"P", 1e15}, {"E", 1e18}};
  static const Scales none{{1, ""}};
  static const Scales data_si = prefixed(big, "B");
  static const Scales data_bin = prefixed({{"", 1}, {"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40},
                                           {"Pi", 0x1p50}, {"Ei", 0x1p60}}, "B");
  static const Scales rate = prefixed(big, "B/s");
  static const Scales compute = prefixed(big, "FLOP");
  static const Scales compute_rate = prefixed(big, "FLOP/s");
  static const Scales time{{1e-12, "ps"}, {1e-9, "ns"}, {1e-6, "us"}, {1e-3, "ms"},
                           {1, "s"},      {60, "min"},  {3600, "h"}};
  static const Scales power = prefixed({{"m", 1e-3}, {"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}}, "W");
  static const Scales energy =
      prefixed({{"m", 1e-3}, {"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}}, "J");
  static const Scales per_bit =
      prefixed({{"f", 1e-15}, {"p", 1e-12}, {"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"", 1}}, "J/bit");
  static const Scales freq = prefixed({{"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}}, "Hz");
  switch (dim) {
    case Dimension::dimensionless: return none;
    case Dimension::data: return binary_data ? data_bin : data_si;
    case Dimension::data_rate: return rate;
    case Dimension::compute: return compute;
    case Dimension::compute_rate: return compute_rate;
    case Dimension::time: return time;
    case Dimension::power: return power;
    case Dimension::energy: return energy;
    case Dimension::energy_per_bit: return per_bit;
    case Dimension::frequency: return freq;
  }
  return none;
}

bool round_trips(const std::string& s, double v, Dimension dim) {
  try {
    return std::fabs(parse_quantity(s, dim) - v) <= 1e-12 * std::fabs(v);
  } catch (const UnitError&) {
    return false;
  }
}

}  // namespace

std::string format_quantity_precise(double v, Dimension dim) {
  char buf[64];
  if (dim == Dimension::dimensionless || !std::isfinite(v)) {
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }
  const Scales& scales = scales_for(dim, false);
  std::size_t k = 0;
  if (v == 0) {
    while (k + 1 < scales.size() && scales[k].factor < 1) ++k;
  } else {
    while (k + 1 < scales.size() && scales[k + 1].factor <= std::fabs(v)) ++k;
  }
  std::snprintf(buf, sizeof buf, "%.9g", v / scales[k].factor);
  return std::string(buf) + " " + scales[k].unit;
}

std::string format_quantity(double v, Dimension dim) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  if (dim == Dimension::dimensionless) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  std::string si = format_scaled(v, scales_for(dim, false));
  if (dim != Dimension::data || round_trips(si, v, dim)) return si;
  std::string bin = format_scaled(v, scales_for(dim, true));
  return round_trips(bin, v, dim) ? bin : si;
}

}  // namespace dcsim::app
