// A full disk: demarched as a real process with its data directory on a
// small tmpfs that the test mounts and fills. While full, appends are
// refused with RESOURCE_EXHAUSTED ("read-only: disk full"), reads, states
// and verification keep working, health says so, and nothing acknowledged
// is lost; once space is freed, writes resume by themselves. A server
// started on a full disk serves reads and says why it cannot write.
//
// Needs to mount a tmpfs (root, or CAP_SYS_ADMIN); skipped with a message
// where it cannot.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "client.h"
#include "process.h"
#include "services/health_probe.h"

namespace demarche::reliability {
namespace {

namespace fs = std::filesystem;
constexpr char kScenario[] = "disk";
constexpr uint64_t kFilesystemMb = 96;

int64_t FreeBytes(const fs::path& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

// Writes zeros to `file` until the filesystem keeps only `keep` bytes free
// (0: until it is full). Returns the bytes written.
uint64_t Fill(const fs::path& file, int64_t keep) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  const std::string block(1 << 20, '\0');
  uint64_t written = 0;
  while (out) {
    const int64_t free = FreeBytes(file.parent_path());
    if (free <= keep) break;
    const size_t n = keep == 0 ? block.size()
                               : static_cast<size_t>(std::min<int64_t>(
                                     free - keep, static_cast<int64_t>(block.size())));
    if (!out.write(block.data(), static_cast<std::streamsize>(n)) || !out.flush()) break;
    written += n;
  }
  return written;
}

// An event of about 8 KB, so that a few thousand fill the filesystem.
v1::Event Bulky(const std::string& id) {
  v1::Event e = Statement(id, Day(2004, 1 + std::hash<std::string>{}(id) % 12, 1), "USA", false);
  e.set_summary(std::string(8000, 's'));
  return e;
}

bool WritesServing(const std::string& address) {
  auto s = services::ProbeHealth(address, "demarche.writes", std::chrono::seconds(3));
  return s.ok() && *s;
}

v1::ServerStatus Status(Client& c) {
  v1::ServerStatus out;
  grpc::Status s = c.audit->GetServerStatus(Ctx().get(), {}, &out);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return out;
}

// Polls `done` every 100 ms for up to `timeout`.
template <typename F>
bool Eventually(F done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_ = dir_.path() / "fs";
    fs::create_directories(mount_);
    const std::string opts = fmt::format("size={}m", kFilesystemMb);
    if (mount("demarche-test", mount_.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      GTEST_SKIP() << "cannot mount a " << kFilesystemMb << " MB tmpfs at " << mount_ << " ("
                   << std::strerror(errno) << "): this test needs root or CAP_SYS_ADMIN";
    }
    mounted_ = true;
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Kill();
    if (mounted_) umount2(mount_.c_str(), MNT_DETACH);
  }

  void StartServer(std::vector<std::string> args) {
    server_ =
        std::make_unique<DemarchedProcess>(dir_.path() / "work", mount_ / "data", std::move(args));
    std::string why;
    ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why;
    client_ = std::make_unique<Client>(server_->address());
  }

  // Appends bulky one-event batches to "alt" until one is refused; keeps
  // each acknowledged one. Returns the refusal.
  grpc::Status AppendUntilRefused(int max_batches) {
    for (int i = 0; i < max_batches; ++i) {
      const std::string id = fmt::format("fill-{}", next_++);
      v1::AppendResponse r;
      grpc::Status s = Append(*client_, kScenario, "alt", {Bulky(id)}, std::nullopt, &r);
      if (!s.ok()) return s;
      acked_.push_back(r.events(0));
    }
    return grpc::Status(grpc::StatusCode::UNKNOWN, "never refused");
  }

  // Every acknowledged event is stored at its seq with identical bytes.
  void ExpectAcked() {
    grpc::Status s;
    const std::vector<v1::Event> alt = ReadAll(*client_, kScenario, "alt", &s);
    ASSERT_TRUE(s.ok()) << Describe(s);
    std::map<uint64_t, const v1::Event*> by_seq;
    for (const v1::Event& e : alt) by_seq[e.seq()] = &e;
    for (const v1::Event& a : acked_) {
      auto it = by_seq.find(a.seq());
      ASSERT_NE(it, by_seq.end()) << "acknowledged seq " << a.seq() << " (" << a.id()
                                  << ") is missing";
      EXPECT_EQ(it->second->SerializeAsString(), a.SerializeAsString()) << a.id();
    }
    EXPECT_EQ(VerifyAll(*client_, kScenario), "");
  }

  void CreateLedger() {
    ASSERT_TRUE(CreateScenario(*client_, kScenario).ok());
    v1::AppendResponse r;
    ASSERT_TRUE(Append(*client_, kScenario, "main",
                       {Statement("m1", Day(2003, 8, 27), "PRK", true)}, std::nullopt, &r)
                    .ok());
    v1::CreateBranchRequest b;
    b.set_scenario(kScenario);
    b.set_name("alt");
    v1::Branch out;
    ASSERT_TRUE(client_->branches->CreateBranch(Ctx().get(), b, &out).ok());
  }

  TempDir dir_;
  fs::path mount_;
  bool mounted_ = false;
  std::unique_ptr<DemarchedProcess> server_;
  std::unique_ptr<Client> client_;
  std::vector<v1::Event> acked_;
  int next_ = 0;
};

// The reserve: appends are refused before RocksDB meets a full disk.
TEST_F(DiskFullTest, ReserveRefusesWritesAndTheyResumeWhenSpaceIsFreed) {
  StartServer({"--min-free-disk-mb", "24"});
  CreateLedger();
  ASSERT_TRUE(WritesServing(server_->address()));
  EXPECT_TRUE(Status(*client_).writable());
  // Leave 40 MB: the reserve is reached after about 16 MB of appends.
  Fill(mount_ / "filler", 40 << 20);

  grpc::Status refused = AppendUntilRefused(20000);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(refused);
  EXPECT_NE(refused.error_message().find("read-only: disk full"), std::string::npos)
      << refused.error_message();
  EXPECT_NE(refused.error_message().find("kept in reserve"), std::string::npos);
  EXPECT_EQ(refused.error_message().find(mount_.string()), std::string::npos)
      << "a server path reached the client: " << refused.error_message();
  ASSERT_GT(acked_.size(), 100u);

  // Read-only, and says so; reads, states, verification still work.
  const v1::Branch before = [&] {
    v1::Branch b;
    EXPECT_TRUE(GetBranch(*client_, kScenario, "alt", &b).ok());
    return b;
  }();
  EXPECT_TRUE(Eventually([&] { return !WritesServing(server_->address()); }));
  EXPECT_TRUE(Serving(server_->address()));
  const v1::ServerStatus status = Status(*client_);
  EXPECT_FALSE(status.writable());
  EXPECT_NE(status.read_only_reason().find("disk full"), std::string::npos);
  EXPECT_EQ(status.min_free_disk_bytes(), 24u << 20);
  ExpectAcked();
  v1::GetStateRequest state;
  state.set_scenario(kScenario);
  state.set_branch("alt");
  v1::ScenarioState answer;
  grpc::Status st = client_->replay->GetState(Ctx().get(), state, &answer);
  EXPECT_TRUE(st.ok()) << Describe(st);
  // A retry of an acknowledged batch is still answered (nothing to write);
  // a new branch or event is refused and writes nothing.
  v1::AppendResponse retry;
  st = Append(*client_, kScenario, "alt", {Bulky(acked_.back().id())}, std::nullopt, &retry);
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_TRUE(retry.replayed());
  v1::CreateBranchRequest fork;
  fork.set_scenario(kScenario);
  fork.set_name("while-full");
  v1::Branch forked;
  EXPECT_EQ(client_->branches->CreateBranch(Ctx().get(), fork, &forked).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::Branch after;
  ASSERT_TRUE(GetBranch(*client_, kScenario, "alt", &after).ok());
  EXPECT_EQ(after.head_seq(), before.head_seq());
  EXPECT_NE(server_->Stderr().find("msg=\"ledger read-only\""), std::string::npos);

  // Space freed: writes resume by themselves.
  fs::remove(mount_ / "filler");
  const auto freed = std::chrono::steady_clock::now();
  v1::AppendResponse r;
  EXPECT_TRUE(Eventually([&] {
    return Append(*client_, kScenario, "alt", {Bulky("after-free")}, std::nullopt, &r).ok();
  }));
  const auto resumed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - freed)
                              .count();
  ASSERT_EQ(r.events_size(), 1);
  EXPECT_TRUE(Eventually([&] { return WritesServing(server_->address()); }));
  acked_.push_back(r.events(0));
  EXPECT_TRUE(Status(*client_).writable());
  EXPECT_NE(server_->Stderr().find("msg=\"ledger writable again\""), std::string::npos);

  // Nothing acknowledged is lost across a restart.
  EXPECT_EQ(server_->Terminate(std::chrono::seconds(30)), 0) << server_->StderrTail();
  std::string why;
  ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why;
  client_ = std::make_unique<Client>(server_->address());
  ExpectAcked();
  std::printf(
      "disk full, %d MB reserve: %zu events (8 KB) acknowledged before the refusal, all kept; "
      "an append succeeded %lld ms after space was freed\n",
      24, acked_.size(), static_cast<long long>(resumed_ms));
}

// No reserve: RocksDB itself meets the full disk. The server used to abort
// (an assertion in RocksDB's info log writer); it must keep serving.
TEST_F(DiskFullTest, AFullDiskNeverStopsTheServer) {
  StartServer({"--min-free-disk-mb", "0"});
  CreateLedger();
  Fill(mount_ / "filler", 8 << 20);

  grpc::Status refused = AppendUntilRefused(20000);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(refused);
  EXPECT_NE(refused.error_message().find("disk full"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(refused.error_message().find(mount_.string()), std::string::npos)
      << refused.error_message();
  Fill(mount_ / "filler", 0);  // the last bytes too
  for (int i = 0; i < 20; ++i) {
    v1::AppendResponse r;
    EXPECT_FALSE(
        Append(*client_, kScenario, "alt", {Bulky(fmt::format("full-{}", i))}, std::nullopt, &r)
            .ok());
  }
  // RocksDB's recovery polls the disk every few seconds while it stays full:
  // the server must outlive several of those polls.
  std::this_thread::sleep_for(std::chrono::seconds(12));
  ASSERT_TRUE(server_->Running()) << server_->StderrTail();
  EXPECT_TRUE(Serving(server_->address()));
  EXPECT_FALSE(Status(*client_).writable());
  ExpectAcked();

  // Space freed: RocksDB resumes by itself (its SstFileManager polls the
  // disk every 5 s and needs room for a memtable flush).
  fs::remove(mount_ / "filler");
  const auto freed = std::chrono::steady_clock::now();
  v1::AppendResponse resumed;
  EXPECT_TRUE(Eventually([&] {
    return Append(*client_, kScenario, "alt", {Bulky("after-free")}, std::nullopt, &resumed).ok();
  }));
  const auto resumed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - freed)
                              .count();
  ASSERT_EQ(resumed.events_size(), 1);
  acked_.push_back(resumed.events(0));
  EXPECT_TRUE(Eventually([&] { return Status(*client_).writable(); }));

  // Full again, to the last byte.
  Fill(mount_ / "filler", 0);
  ASSERT_EQ(AppendUntilRefused(20000).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  Fill(mount_ / "filler", 0);

  // Killed while full, it starts again read-only and answers reads.
  server_->Kill();
  std::string why;
  ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why << server_->StderrTail();
  client_ = std::make_unique<Client>(server_->address());
  ExpectAcked();
  const v1::ServerStatus status = Status(*client_);
  EXPECT_FALSE(status.writable());
  EXPECT_NE(status.read_only_reason().find("disk was full when the server started"),
            std::string::npos)
      << status.read_only_reason();
  v1::AppendResponse r;
  EXPECT_EQ(
      Append(*client_, kScenario, "alt", {Bulky("on-read-only")}, std::nullopt, &r).error_code(),
      grpc::StatusCode::UNAVAILABLE);

  // Space freed and restarted: writable, and the record is whole.
  fs::remove(mount_ / "filler");
  EXPECT_EQ(server_->Terminate(std::chrono::seconds(30)), 0) << server_->StderrTail();
  ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why;
  client_ = std::make_unique<Client>(server_->address());
  ExpectAcked();
  EXPECT_TRUE(Status(*client_).writable());
  ASSERT_TRUE(Append(*client_, kScenario, "alt", {Bulky("after-restart")}, std::nullopt, &r).ok());
  std::printf(
      "disk full, no reserve: %zu events acknowledged, all kept through two full disks, 20 "
      "refused appends, RocksDB's own resume (an append succeeded %lld ms after space was "
      "freed), a SIGKILL, a read-only start and a restart\n",
      acked_.size(), static_cast<long long>(resumed_ms));
}

}  // namespace
}  // namespace demarche::reliability
