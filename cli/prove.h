// --prove on show and log: each event printed is proved included in the
// branch's tree signed by a pinned key, and that checkpoint consistent with
// the one seen before (cli/checkpoint_check.h).
#pragma once

#include <string>
#include <vector>

#include "cli/client.h"

namespace demarche::cli {

// Proves `shown` (events read from `branch`) and prints how on stdout, or
// why not on stderr; returns the exit code (kOther when a proof fails).
// Throws CliError when no key is pinned in `trust_dir`.
int ProveShown(Client& c, const std::string& branch, const std::vector<v1::Event>& shown,
               const std::string& trust_dir);

}  // namespace demarche::cli
