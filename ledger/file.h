// Reading a whole small file (a JSON bundle, a token file, a PEM certificate).
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace demarche::ledger {

// The file's bytes; NOT_FOUND "<path>: cannot open" if it cannot be opened,
// DATA_LOSS on a read error.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace demarche::ledger
