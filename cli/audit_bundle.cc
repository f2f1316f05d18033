#include "cli/audit_bundle.h"

#include <deque>

#include <fmt/format.h>
#include <google/protobuf/stubs/logging.h>

#include "cli/checkpoint_check.h"
#include "demarche/v1/audit_bundle.pb.h"
#include "proto/deterministic.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/sha256.h"

namespace demarche::cli {
namespace {

// A record larger than this is refused unread (a bundle's records hold one
// batch of entries each, about 1 MiB).
constexpr uint64_t kMaxRecordBytes = 64 << 20;

void AppendRecord(const v1::AuditBundleRecord& record, std::string* out) {
  const std::string bytes = DeterministicBytes(record);
  for (uint64_t v = bytes.size();; v >>= 7) {
    if (v < 0x80) {
      out->push_back(static_cast<char>(v));
      break;
    }
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  }
  out->append(bytes);
}

// A varint in its shortest form (any other would let two files mean one
// bundle); false if there is none.
bool ReadVarint(std::string_view* in, uint64_t* value) {
  uint64_t v = 0;
  for (int i = 0; i < 10 && !in->empty(); ++i) {
    const auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if ((i > 0 && b == 0) || (i == 9 && b > 1)) return false;
      *value = v;
      return true;
    }
  }
  return false;
}

// One branch lineage as the bundle gives it: the parent's first `fork`
// leaves, then the branch's own events.
struct Log {
  std::string name;
  const Log* parent = nullptr;
  uint64_t fork = 0;
  tlog::Checkpoint cp;
  std::vector<std::string> leaf_hashes;   // of the own events
  std::vector<std::string> event_hashes;  // their `hash` fields

  uint64_t size() const { return fork + leaf_hashes.size(); }
  const std::string& LeafHash(uint64_t index) const {
    return index < fork ? parent->LeafHash(index) : leaf_hashes[index - fork];
  }
  const std::string& EventHash(uint64_t seq) const {
    return seq <= fork ? parent->EventHash(seq) : event_hashes[seq - fork - 1];
  }
  std::string RootAt(uint64_t n) const {
    tlog::Frontier tree;
    for (uint64_t i = 0; i < n; ++i) tree.Append(LeafHash(i), [](int, uint64_t, const auto&) {});
    return tree.Root();
  }
};

class BundleVerifier {
 public:
  BundleVerifier(const std::vector<tlog::Verifier>& pinned,
                 const std::map<std::string, SeenCheckpoint>& seen)
      : pinned_(pinned), seen_(seen) {}

  absl::StatusOr<BundleReport> Run(std::string_view in) {
    while (!in.empty()) {
      ++record_;
      uint64_t len = 0;
      if (!ReadVarint(&in, &len)) return Fail("no record length");
      if (len > kMaxRecordBytes || len > in.size())
        return Fail(fmt::format("the record length {} runs past the end of the file", len));
      const std::string_view bytes = in.substr(0, len);
      in.remove_prefix(len);
      v1::AuditBundleRecord record;
      if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        return Fail("not an AuditBundleRecord");
      if (DeterministicBytes(record) != bytes)
        return Fail("not in canonical form (unknown, repeated or reordered fields)");
      absl::Status st;
      switch (record.record_case()) {
        case v1::AuditBundleRecord::kHeader:
          st = Header(record.header());
          break;
        case v1::AuditBundleRecord::kBranch:
          st = Branch(record.branch());
          break;
        case v1::AuditBundleRecord::kEntries:
          st = Entries(record.entries());
          break;
        case v1::AuditBundleRecord::RECORD_NOT_SET:
          st = Fail("an empty record");
          break;
      }
      if (!st.ok()) return st;
    }
    if (!key_) return absl::InvalidArgumentError("the file is empty: no bundle header");
    if (logs_.size() < declared_.size())
      return absl::InvalidArgumentError(
          fmt::format("the file ends before the records of branch {} the header lists",
                      declared_[logs_.size()]));
    if (absl::Status st = Finish(); !st.ok()) return st;
    return std::move(report_);
  }

 private:
  absl::Status Fail(std::string_view what) const {
    return absl::InvalidArgumentError(fmt::format("record {}: {}", record_, what));
  }
  absl::Status Fail(const Log& log, std::string_view what) const {
    return Fail(fmt::format("branch {}: {}", log.name, what));
  }

  absl::Status Header(const v1::AuditBundleHeader& h) {
    if (record_ != 1) return Fail("a second header");
    if (h.format() != kAuditBundleFormat)
      return Fail(fmt::format("format \"{}\" is not \"{}\"", h.format(), kAuditBundleFormat));
    if (h.scenario().empty()) return Fail("no scenario");
    auto key = tlog::Verifier::FromKey(h.verifier_key());
    if (!key.ok())
      return Fail(fmt::format("verifier_key: {}", std::string(key.status().message())));
    for (const tlog::Verifier& p : pinned_) report_.key_pinned |= p.Key() == key->Key();
    if (!pinned_.empty() && !report_.key_pinned)
      return Fail(fmt::format("signed by {}, which is not a pinned key", key->Key()));
    key_ = std::make_unique<tlog::Verifier>(*std::move(key));
    if (h.branches().empty()) return Fail("the header lists no branch");
    declared_.assign(h.branches().begin(), h.branches().end());
    report_.scenario = h.scenario();
    report_.verifier_key = h.verifier_key();
    return absl::OkStatus();
  }

  absl::Status Branch(const v1::AuditBundleBranch& b) {
    if (!key_) return Fail("a branch before the header");
    if (!logs_.empty())
      if (absl::Status st = Finish(); !st.ok()) return st;
    if (logs_.size() == declared_.size() || declared_[logs_.size()] != b.name())
      return Fail(fmt::format(
          "branch {} where the header lists {}", b.name(),
          logs_.size() < declared_.size() ? declared_[logs_.size()] : "no more branches"));
    for (const Log& l : logs_)
      if (l.name == b.name()) return Fail(fmt::format("branch {} a second time", b.name()));
    Log& log = logs_.emplace_back();
    log.name = b.name();
    log.fork = b.fork_after_seq();
    if (b.parent().empty()) {
      if (log.fork != 0) return Fail(log, "a fork point without a parent");
    } else {
      for (const Log& l : logs_)
        if (l.name == b.parent()) log.parent = &l;
      if (log.parent == nullptr || log.parent == &log)
        return Fail(log, fmt::format("its parent {} is not earlier in the bundle", b.parent()));
      if (log.fork > log.parent->cp.size)
        return Fail(log, fmt::format("it forks after seq {}, beyond its parent's tree of size {}",
                                     log.fork, log.parent->cp.size));
    }
    auto opened = tlog::OpenNote(b.checkpoint(), {*key_});
    if (!opened.ok())
      return Fail(log, fmt::format("checkpoint: {}", std::string(opened.status().message())));
    auto cp = tlog::ParseCheckpoint(opened->text);
    if (!cp.ok())
      return Fail(log, fmt::format("checkpoint: {}", std::string(cp.status().message())));
    log.cp = *std::move(cp);
    const std::string origin = tlog::BranchOrigin(key_->name(), report_.scenario, log.name);
    if (log.cp.origin != origin)
      return Fail(log,
                  fmt::format("the checkpoint is of \"{}\", not \"{}\"", log.cp.origin, origin));
    if (log.cp.size < log.fork)
      return Fail(log, fmt::format("its checkpoint of size {} is below its fork point {}",
                                   log.cp.size, log.fork));
    return absl::OkStatus();
  }

  absl::Status Entries(const v1::AuditBundleEntries& e) {
    if (logs_.empty() || e.branch() != logs_.back().name)
      return Fail(fmt::format("entries of {} outside its branch's records", e.branch()));
    Log& log = logs_.back();
    if (e.entries().first_seq() != log.size() + 1)
      return Fail(log, fmt::format("entries from seq {} where seq {} comes next",
                                   e.entries().first_seq(), log.size() + 1));
    if (e.entries().entries().empty()) return Fail(log, "a record of no entries");
    for (const std::string& entry : e.entries().entries())
      if (absl::Status st = Event(log, entry); !st.ok()) return st;
    return absl::OkStatus();
  }

  // One stored event: canonical, its envelope where it belongs, its hash
  // over its content and its link to the one before (across a fork point,
  // the parent's).
  absl::Status Event(Log& log, const std::string& entry) {
    const uint64_t seq = log.size() + 1;
    auto bad = [&](std::string_view what) {
      return Fail(log, fmt::format("seq {}: {}", seq, what));
    };
    if (seq > log.cp.size)
      return bad(fmt::format("beyond the checkpoint's tree size {}", log.cp.size));
    v1::Event event;
    if (!event.ParseFromString(entry)) return bad("the entry is not an event");
    if (DeterministicBytes(event) != entry) return bad("the entry is not in canonical form");
    if (event.seq() != seq) return bad(fmt::format("the event says seq {}", event.seq()));
    if (event.scenario() != report_.scenario || event.branch() != log.name)
      return bad(fmt::format("the event is of {}/{}", event.scenario(), event.branch()));
    const std::string zero(tlog::kSha256Bytes, '\0');
    if (event.prev_hash() != (seq == 1 ? zero : log.EventHash(seq - 1)))
      return bad(fmt::format("prev_hash does not link to seq {}", seq - 1));
    v1::Event content = event;
    content.clear_hash();
    if (tlog::Sha256(DeterministicBytes(content)) != event.hash())
      return bad("its hash is not the hash of its content");
    log.event_hashes.push_back(event.hash());
    log.leaf_hashes.push_back(tlog::LeafHash(entry));
    return absl::OkStatus();
  }

  // The branch's events are all there and hash to its signed root.
  absl::Status Finish() {
    const Log& log = logs_.back();
    if (log.size() != log.cp.size)
      return Fail(log, fmt::format("{} of the {} events of its checkpoint are in the bundle",
                                   log.size(), log.cp.size));
    const std::string root = log.RootAt(log.cp.size);
    if (root != log.cp.root) return Fail(log, "its events do not hash to its checkpoint's root");
    BundleBranchReport& r = report_.branches.emplace_back();
    r.name = log.name;
    r.parent = log.parent ? log.parent->name : "";
    r.fork_after_seq = log.fork;
    r.own_events = log.leaf_hashes.size();
    r.size = log.cp.size;
    r.root = root;
    auto seen = seen_.find(log.cp.origin);
    if (seen == seen_.end() || seen->second.size == 0) {
      r.since_seen = "not seen before";
    } else if (seen->second.size > log.cp.size) {
      r.since_seen = fmt::format("older than the {} seen (not checked)", seen->second.size);
    } else if (log.RootAt(seen->second.size) != seen->second.root) {
      return Fail(log, fmt::format("its tree at size {} is not the checkpoint of that size seen "
                                   "before: history was rewritten",
                                   seen->second.size));
    } else {
      r.since_seen = seen->second.size == log.cp.size
                         ? "same as seen before"
                         : fmt::format("extends the {} seen before", seen->second.size);
    }
    return absl::OkStatus();
  }

  const std::vector<tlog::Verifier>& pinned_;
  const std::map<std::string, SeenCheckpoint>& seen_;
  size_t record_ = 0;
  std::unique_ptr<tlog::Verifier> key_;
  std::vector<std::string> declared_;  // the header's branch names
  std::deque<Log> logs_;               // stable addresses: a fork points at its parent
  BundleReport report_;
};

}  // namespace

absl::StatusOr<BundleReport> VerifyAuditBundle(std::string_view bytes,
                                               const std::vector<tlog::Verifier>& pinned,
                                               const std::map<std::string, SeenCheckpoint>& seen) {
  // A tampered string field is refused by the parse; libprotobuf would also
  // log it to stderr.
  google::protobuf::LogSilencer quiet;
  return BundleVerifier(pinned, seen).Run(bytes);
}

std::string ReadAuditBundle(Client& c, const std::vector<v1::Branch>& branches,
                            const std::vector<tlog::Verifier>& pinned) {
  std::vector<v1::AuditBundleRecord> records(1);
  v1::AuditBundleHeader& header = *records[0].mutable_header();
  header.set_format(std::string(kAuditBundleFormat));
  header.set_scenario(c.scenario());
  for (const v1::Branch& b : branches) header.add_branches(b.name());
  for (const v1::Branch& b : branches) {
    v1::GetCheckpointRequest req;
    req.set_scenario(c.scenario());
    req.set_branch(b.name());
    v1::Checkpoint cp;
    grpc::ClientContext ctx;
    c.Prepare(ctx);
    if (grpc::Status st = c.audit().GetCheckpoint(&ctx, req, &cp); !st.ok())
      throw CliError(ExitCodeFor(st.error_code()),
                     fmt::format("checkpoint of {}: {}", b.name(), st.error_message()));
    if (header.verifier_key().empty()) header.set_verifier_key(cp.verifier_key());
    if (cp.verifier_key() != header.verifier_key())
      throw Refused(fmt::format("branch {}'s checkpoint is signed by {}, the others' by {}",
                                b.name(), cp.verifier_key(), header.verifier_key()));
    v1::AuditBundleBranch& rb = *records.emplace_back().mutable_branch();
    rb.set_name(b.name());
    rb.set_parent(b.parent());
    rb.set_fork_after_seq(b.fork_after_seq());
    rb.set_checkpoint(cp.note());
    if (cp.tree_size() <= b.fork_after_seq()) continue;
    v1::GetEntriesRequest er;
    er.set_scenario(c.scenario());
    er.set_branch(b.name());
    er.set_from_seq(b.fork_after_seq() + 1);
    er.set_to_seq(cp.tree_size());
    grpc::ClientContext ectx;
    c.Prepare(ectx, true);
    auto reader = c.audit().GetEntries(&ectx, er);
    v1::AuditBundleRecord batch;
    while (reader->Read(batch.mutable_entries()->mutable_entries())) {
      batch.mutable_entries()->set_branch(b.name());
      records.push_back(std::move(batch));
      batch.Clear();
    }
    if (grpc::Status st = reader->Finish(); !st.ok())
      throw CliError(ExitCodeFor(st.error_code()),
                     fmt::format("entries of {}: {}", b.name(), st.error_message()));
  }
  std::string out;
  for (const v1::AuditBundleRecord& r : records) AppendRecord(r, &out);
  if (auto checked = VerifyAuditBundle(out, pinned, {}); !checked.ok())
    throw Refused(fmt::format("the server's answers do not verify: {}",
                              std::string(checked.status().message())));
  return out;
}

}  // namespace demarche::cli
