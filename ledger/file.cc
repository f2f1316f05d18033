#include "ledger/file.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace demarche::ledger {

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot open", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(fmt::format("{}: read error", path.string()));
  return text.str();
}

}  // namespace demarche::ledger
