// demarched's checkpoint signing key (tlog/note.h): a text file holding the
// signer key, created with 0600 permissions on first start.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "tlog/note.h"

namespace demarche::services {

// Reads the key at `path`, or creates one named `name` there if the file
// does not exist ("" = "demarche-" and 8 random hex digits). Refuses a key
// file that others may read (FAILED_PRECONDITION naming the mode).
absl::StatusOr<tlog::Signer> LoadOrCreateSigningKey(const std::string& path,
                                                    const std::string& name);

}  // namespace demarche::services
