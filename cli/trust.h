// What the CLI trusts and remembers, kept in a directory (--trust-dir,
// default $XDG_CONFIG_HOME/demarche or ~/.config/demarche):
//   trusted-keys  the pinned verifier keys of servers, one per line
//   checkpoints   the latest verified checkpoint per origin, one per line
//                 "<origin> <tree size> <base64 root>"; a later checkpoint
//                 must be proved consistent with it
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tlog/note.h"

namespace demarche::cli {

struct SeenCheckpoint {
  uint64_t size = 0;
  std::string root;
};

class TrustStore {
 public:
  // `dir` empty: the default. Reads nothing yet.
  explicit TrustStore(std::string dir);
  const std::string& dir() const { return dir_; }

  // Throw CliError on an unreadable or malformed file.
  std::vector<tlog::Verifier> Keys() const;
  // Returns false if the key was already pinned.
  bool AddKey(const tlog::Verifier& key) const;
  std::map<std::string, SeenCheckpoint> Seen() const;
  // Replaces the file atomically (write, fsync, rename).
  void SaveSeen(const std::map<std::string, SeenCheckpoint>& seen) const;

 private:
  std::string dir_;
};

}  // namespace demarche::cli
