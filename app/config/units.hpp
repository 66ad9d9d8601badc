// Quantities with units, as written in scenario and catalog files ("3.35 TB/s", "80 GiB", "5 us"), to SI doubles
// and back. The grammar (docs/scenario-errors.md has the full table):
//   quantity := [+|-] number [spaces] unit        number := digits [. digits] [e [+|-] digits]  (or .digits)
// SI prefixes (k, M, G, T, P, E; m, u/µ, n, p, f) are powers of 10, binary ones (Ki, Mi, Gi, Ti, Pi, Ei) powers of 2.
// 'K' is accepted as kilo only for bytes and bits ("KB" = 1000 B). Case matters: b = bit, B = byte; m = milli,
// M = mega. A bare number is an error for every dimension but `dimensionless` (which also takes "%").
// Signs are parsed; whether a negative value makes sense is the caller's check (ConfigNode defaults to >= 0).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dcsim::app {

enum class Dimension {
  dimensionless,
  data,            // bytes
  data_rate,       // bytes/s
  compute,         // FLOP
  compute_rate,    // FLOP/s
  time,            // s
  power,           // W
  energy,          // J
  energy_per_bit,  // J/bit
  frequency,       // Hz
};

// "a data rate": for "unit 'GHz' is a frequency".
std::string_view dimension_name(Dimension dim);
// "a data rate such as '400 Gb/s' or '3.35 TB/s'": what messages say was expected.
std::string_view expected_text(Dimension dim);

class UnitError : public std::runtime_error {
 public:
  // what(): "got 'TEXT', expected EXPECTED (DETAIL)", the same shape as ConfigError's tail, which reuses the parts.
  UnitError(std::string text, std::string expected, std::string detail);
  const std::string& text() const { return text_; }
  const std::string& expected() const { return expected_; }
  const std::string& detail() const { return detail_; }  // what exactly was wrong, with a suggestion if any

 private:
  std::string text_, expected_, detail_;
};

// Throws UnitError for an empty text, a malformed number, NaN/inf/overflow, a missing, unknown or ambiguous unit,
// or a unit of another dimension.
double parse_quantity(std::string_view text, Dimension dim);

// Human form with 3 significant digits and the prefix that puts the number in [1, 1000): "3.35 TB/s", "989 TFLOP/s",
// "5 us", "1.3 pJ/bit". Rates, power, energy and compute use SI prefixes. Data sizes use binary prefixes when that
// is exact at 3 digits ("80 GiB" for 85899345920 B) and SI otherwise ("141 GB"). Time above a minute is shown in
// min, above an hour in h. parse_quantity(format_quantity(x, d), d) equals x to 3 significant digits.
std::string format_quantity(double value, Dimension dim);

// Nine significant digits in the SI-prefixed unit format_quantity would choose ("517.216797 GB/s", "4.5 ms"): text
// that parse_quantity reads back to the value within a part in 1e9 (what `dcsim plan` gives a scenario).
std::string format_quantity_precise(double value, Dimension dim);

// Every unit symbol parse_quantity takes for `dim` ("GB/s", "Gb/s", "GiB/s", ...), sorted: for the JSON Schema's
// pattern of a quantity (app/schema).
std::vector<std::string> unit_symbols(Dimension dim);

}  // namespace dcsim::app
