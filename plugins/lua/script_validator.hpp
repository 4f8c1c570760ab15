#pragma once
// Compile-only checks of a Lua script's text (`troupe validate`, the "lua" kind's validator).

#include <string>
#include <vector>

namespace troupe::lua {

/// One problem validate_script found.
struct script_problem {
  int line = 0;          ///< 1-based; 0 when it concerns the whole script.
  std::string message;   ///< Without the "name:line:" prefix.
  bool warning = false;  ///< A warning (e.g. a library the sandbox does not offer) or an error.
};

/// Checks a script without running it: every syntax error with its line (the parser stops at the
/// first error, so later ones are found by blanking the failing line and parsing again, up to 50),
/// a missing execute function, binary chunks, and uses of what the sandbox leaves out (io, os.*,
/// require, debug, package, dofile, loadfile, string.dump) as warnings.
std::vector<script_problem> validate_script(const std::string& source);

} // namespace troupe::lua
