#include "cli/trust.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/file.h"

namespace demarche::cli {
namespace {

std::string DefaultDir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0')
    return fmt::format("{}/demarche", xdg);
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return fmt::format("{}/.config/demarche", home);
  return ".demarche";
}

// The file's lines without comments and blank lines; none if it is missing.
std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(path)) return out;
  std::ifstream in(path);
  if (!in) throw CliError(kOther, fmt::format("cannot read {}", path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line);
  }
  return out;
}

void WriteAtomically(const std::string& dir, const std::string& name, const std::string& text) {
  std::filesystem::create_directories(dir);
  WriteFileAtomically(dir + "/" + name, text, 0600);
}

}  // namespace

TrustStore::TrustStore(std::string dir) : dir_(dir.empty() ? DefaultDir() : std::move(dir)) {}

std::vector<tlog::Verifier> TrustStore::Keys() const {
  std::vector<tlog::Verifier> keys;
  const std::string path = dir_ + "/trusted-keys";
  for (const std::string& line : Lines(path)) {
    auto v = tlog::Verifier::FromKey(line);
    if (!v.ok())
      throw CliError(kOther, fmt::format("{}: {}", path, std::string(v.status().message())));
    keys.push_back(*std::move(v));
  }
  return keys;
}

bool TrustStore::AddKey(const tlog::Verifier& key) const {
  std::string text;
  for (const tlog::Verifier& k : Keys()) {
    if (k.Key() == key.Key()) return false;
    text += k.Key() + "\n";
  }
  WriteAtomically(dir_, "trusted-keys", text + key.Key() + "\n");
  return true;
}

std::map<std::string, SeenCheckpoint> TrustStore::Seen() const {
  std::map<std::string, SeenCheckpoint> seen;
  const std::string path = dir_ + "/checkpoints";
  for (const std::string& line : Lines(path)) {
    std::istringstream in(line);
    std::string origin, root;
    SeenCheckpoint c;
    auto raw = (in >> origin >> c.size >> root) ? tlog::Unbase64(root) : std::nullopt;
    if (!raw || raw->size() != 32)
      throw CliError(kOther, fmt::format("{}: malformed line \"{}\"", path, line));
    c.root = *std::move(raw);
    seen[origin] = std::move(c);
  }
  return seen;
}

void TrustStore::SaveSeen(const std::map<std::string, SeenCheckpoint>& seen) const {
  std::string text = "# origin, tree size, root: the latest checkpoint verified per log\n";
  for (const auto& [origin, c] : seen)
    text += fmt::format("{} {} {}\n", origin, c.size, tlog::Base64(c.root));
  WriteAtomically(dir_, "checkpoints", text);
}

}  // namespace demarche::cli
