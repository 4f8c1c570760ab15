#pragma once
// Shared by the bench programs: their command lines (CLI11, as the troupe binary) and the
// percentiles of their samples.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <CLI/CLI.hpp>

namespace troupe::bench {

/// Parses a bench's command line; `define(app)` adds its options. --help prints the usage and
/// exits 0; a bad command line prints why and exits 2.
template <class Define>
void parse_options(int argc, char** argv, const char* description, Define define) {
  CLI::App app{description};
  define(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    std::exit(e.get_exit_code() == 0 ? 0 : 2);
  }
}

/// The nearest-rank percentile of sorted `xs` (p in (0, 1]); 0 for no samples.
inline double percentile(const std::vector<double>& xs, double p) {
  if (xs.empty())
    return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(xs.size())));
  return xs[std::clamp<std::size_t>(rank, 1, xs.size()) - 1];
}

} // namespace troupe::bench
