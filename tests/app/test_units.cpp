// The unit grammar of scenario files: exact SI values for every accepted form, a clear UnitError for the rest.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "app/config/units.hpp"

namespace dcsim::app {
namespace {

using D = Dimension;

struct Good {
  const char* text;
  Dimension dim;
  double si;
};

void PrintTo(const Good& g, std::ostream* os) { *os << "'" << g.text << "'"; }

class UnitsGood : public ::testing::TestWithParam<Good> {};

TEST_P(UnitsGood, ParsesToExactSi) {
  const auto& g = GetParam();
  EXPECT_DOUBLE_EQ(parse_quantity(g.text, g.dim), g.si) << g.text;
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, UnitsGood,
    ::testing::Values(
        // data sizes: SI powers of 10, binary powers of 2, bits are 1/8 byte
        Good{"1 B", D::data, 1}, Good{"1 KB", D::data, 1e3}, Good{"1 kB", D::data, 1e3},
        Good{"1 MB", D::data, 1e6}, Good{"1 GB", D::data, 1e9}, Good{"1 TB", D::data, 1e12},
        Good{"1 PB", D::data, 1e15}, Good{"1 KiB", D::data, 1024}, Good{"1 MiB", D::data, 1048576},
        Good{"80 GiB", D::data, 85899345920.0}, Good{"1 TiB", D::data, 1099511627776.0},
        Good{"1.5e3 GB", D::data, 1.5e12}, Good{"8 b", D::data, 1}, Good{"1 Kb", D::data, 125},
        Good{"1 Mb", D::data, 125e3}, Good{"1 Gb", D::data, 125e6}, Good{"1 Tb", D::data, 125e9},
        Good{"1GiB", D::data, 1073741824.0}, Good{"  2 GB  ", D::data, 2e9}, Good{"0 B", D::data, 0},
        Good{".5 KiB", D::data, 512}, Good{"2 EB", D::data, 2e18}, Good{"2EB", D::data, 2e18},
        // data rates
        Good{"400 Gb/s", D::data_rate, 50e9}, Good{"400 Gbps", D::data_rate, 50e9},
        Good{"3.35 TB/s", D::data_rate, 3.35e12}, Good{"900 GB/s", D::data_rate, 900e9},
        Good{"64 GiB/s", D::data_rate, 68719476736.0}, Good{"100 Mbps", D::data_rate, 12.5e6},
        Good{"1 Tb/s", D::data_rate, 125e9},
        // compute
        Good{"2 PFLOP", D::compute, 2e15}, Good{"1 TFLOP", D::compute, 1e12},
        Good{"989 TFLOP/s", D::compute_rate, 989e12}, Good{"989 TFLOPS", D::compute_rate, 989e12},
        Good{"2.25 PFLOP/s", D::compute_rate, 2.25e15}, Good{"1 EFLOP/s", D::compute_rate, 1e18},
        // time
        Good{"5 us", D::time, 5e-6}, Good{"18 µs", D::time, 18e-6}, Good{"18 μs", D::time, 18e-6},
        Good{"10 ms", D::time, 10e-3}, Good{"1 s", D::time, 1}, Good{"2 h", D::time, 7200},
        Good{"30 min", D::time, 1800}, Good{"250 ns", D::time, 250e-9}, Good{"3 ps", D::time, 3e-12},
        // power, energy
        Good{"700 W", D::power, 700}, Good{"1.2 kW", D::power, 1200}, Good{"120 MW", D::power, 120e6},
        Good{"15 mW", D::power, 15e-3}, Good{"1 J", D::energy, 1}, Good{"5 kJ", D::energy, 5e3},
        Good{"2 MJ", D::energy, 2e6}, Good{"1 Wh", D::energy, 3600}, Good{"1.2 kWh", D::energy, 4.32e6},
        Good{"1 MWh", D::energy, 3.6e9}, Good{"1.3 pJ/bit", D::energy_per_bit, 1.3e-12},
        Good{"5 pJ/b", D::energy_per_bit, 5e-12}, Good{"0.5 nJ/bit", D::energy_per_bit, 0.5e-9},
        // frequency, plain
        Good{"1.98 GHz", D::frequency, 1.98e9}, Good{"100 MHz", D::frequency, 1e8},
        Good{"0.5", D::dimensionless, 0.5}, Good{"90 %", D::dimensionless, 0.9}, Good{"90%", D::dimensionless, 0.9},
        Good{"-3", D::dimensionless, -3}, Good{"+4e2", D::dimensionless, 400}, Good{"-1 W", D::power, -1}));

struct Bad {
  const char* text;
  Dimension dim;
  const char* detail;  // substring the message must contain
};

void PrintTo(const Bad& b, std::ostream* os) { *os << "'" << b.text << "'"; }

class UnitsBad : public ::testing::TestWithParam<Bad> {};

TEST_P(UnitsBad, ThrowsWithExplanation) {
  const auto& b = GetParam();
  try {
    parse_quantity(b.text, b.dim);
    FAIL() << "accepted '" << b.text << "'";
  } catch (const UnitError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(b.detail), std::string::npos) << what;
    EXPECT_NE(what.find(std::string(expected_text(b.dim))), std::string::npos) << what;
    EXPECT_EQ(e.text(), b.text);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllMistakes, UnitsBad,
    ::testing::Values(
        Bad{"", D::data, "empty"}, Bad{"   ", D::data, "empty"}, Bad{"80", D::data, "bare number"},
        Bad{"5", D::time, "write e.g. '5 ms'"}, Bad{"400", D::data_rate, "bare number"},
        Bad{"3.35 TB/s/s", D::data_rate, "unknown unit 'TB/s/s'"}, Bad{"3..5 GB", D::data, "malformed number '3..5'"},
        Bad{"1,000 GB", D::data, "malformed number '1,000'"}, Bad{"nan GB", D::data, "does not start with a number"},
        Bad{"inf", D::dimensionless, "does not start with a number"}, Bad{"GB", D::data, "the number is missing"},
        Bad{"1e999 GB", D::data, "out of range"}, Bad{"1e300 EB", D::data, "too large"},
        Bad{"1 GHz", D::data, "unit 'GHz' is a frequency"}, Bad{"400 Gb", D::data_rate, "did you mean 'Gb/s'?"},
        Bad{"3 TB/s", D::data, "unit 'TB/s' is a data rate"}, Bad{"989 TFLOP", D::compute_rate, "'TFLOP/s'"},
        Bad{"989 TFLOPs", D::compute_rate, "ambiguous"}, Bad{"1 gb", D::data, "'GB' (gigabytes) or 'Gb' (gigabits)"},
        Bad{"5 sec", D::time, "unknown unit 'sec'"}, Bad{"1 mB", D::data, "'MB'"},
        Bad{"3 TB / s", D::data_rate, "without spaces, 'TB/s'"}, Bad{"1.2 KW", D::power, "'kW'"},
        Bad{"1 Mib", D::data, "'MiB'"}, Bad{"2 GiBs", D::data, "unknown unit 'GiBs'"},
        Bad{"0x10 GB", D::data, "unknown unit"}, Bad{"1 W", D::dimensionless, "unit 'W' is a power"},
        Bad{"4|00 Gb/s", D::data_rate, "unexpected '|' after '4'"}, Bad{"5 /s", D::data_rate, "unexpected '/'"},
        Bad{"5 furlongs", D::time, "units of a duration: ps, ns"}));

TEST(UnitsFormat, ChoosesPrefixAndThreeDigits) {
  EXPECT_EQ(format_quantity(3.35e12, D::data_rate), "3.35 TB/s");
  EXPECT_EQ(format_quantity(50e9, D::data_rate), "50 GB/s");
  EXPECT_EQ(format_quantity(85899345920.0, D::data), "80 GiB");
  EXPECT_EQ(format_quantity(141e9, D::data), "141 GB");
  EXPECT_EQ(format_quantity(1e9, D::data), "1 GB");
  EXPECT_EQ(format_quantity(1024, D::data), "1 KiB");
  EXPECT_EQ(format_quantity(512, D::data), "512 B");
  EXPECT_EQ(format_quantity(989e12, D::compute_rate), "989 TFLOP/s");
  EXPECT_EQ(format_quantity(5e-6, D::time), "5 us");
  EXPECT_EQ(format_quantity(0.0104, D::time), "10.4 ms");
  EXPECT_EQ(format_quantity(7200, D::time), "2 h");
  EXPECT_EQ(format_quantity(90, D::time), "1.5 min");
  EXPECT_EQ(format_quantity(700, D::power), "700 W");
  EXPECT_EQ(format_quantity(1200, D::power), "1.2 kW");
  EXPECT_EQ(format_quantity(1.3e-12, D::energy_per_bit), "1.3 pJ/bit");
  EXPECT_EQ(format_quantity(4.32e6, D::energy), "4.32 MJ");
  EXPECT_EQ(format_quantity(1.98e9, D::frequency), "1.98 GHz");
  EXPECT_EQ(format_quantity(999.6e9, D::data_rate), "1 TB/s");
  EXPECT_EQ(format_quantity(0, D::power), "0 W");
  EXPECT_EQ(format_quantity(0, D::time), "0 s");
  EXPECT_EQ(format_quantity(-1500, D::power), "-1.5 kW");
  EXPECT_EQ(format_quantity(0.25, D::dimensionless), "0.25");
  EXPECT_EQ(format_quantity(std::nan(""), D::power), "nan");
}

TEST(UnitsFormat, RoundTripsToThreeSignificantDigits) {
  const Dimension dims[] = {D::data, D::data_rate, D::compute, D::compute_rate, D::time,
                            D::power, D::energy, D::energy_per_bit, D::frequency, D::dimensionless};
  const double values[] = {1.2345e-13, 3.7e-9, 0.0042, 1, 17.25, 999.5, 1234.5, 6.02e8, 8.5e12, 3.3e17};
  for (Dimension d : dims) {
    for (double v : values) {
      const std::string s = format_quantity(v, d);
      const double back = parse_quantity(s, d);
      EXPECT_NEAR(back, v, 5e-3 * v) << s;
    }
  }
  // Exact values survive exactly.
  for (const char* s : {"80 GiB", "3.35 TB/s", "989 TFLOP/s", "5 us", "1.3 pJ/bit", "700 W", "1.2 kW"}) {
    for (Dimension d : dims) {
      double v = 0;
      try {
        v = parse_quantity(s, d);
      } catch (const UnitError&) {
        continue;
      }
      EXPECT_EQ(format_quantity(v, d), s);
    }
  }
}

}  // namespace
}  // namespace dcsim::app
