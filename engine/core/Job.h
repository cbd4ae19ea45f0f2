#pragma once
// The contract of every long engine operation: progress callbacks and cooperative cancel.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "engine/core/Error.h"

namespace roundlab {

struct Progress {
  std::string stage;    // e.g. "evaluate", "capture", "reconstruct"
  double fraction = 0;  // 0..1 of the whole operation
  std::string message;  // e.g. "batch 3/40"
  double metric = 0;    // optional figure such as the current loss
  bool hasMetric = false;
};

using ProgressFn = std::function<void(const Progress&)>;

// Shared flag: the GUI thread cancels, the engine polls between iterations.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const { flag_->store(true); }
  bool cancelled() const { return flag_->load(); }
  void throwIfCancelled(const std::string& what) const {
    if (cancelled()) throw Error(ErrorCode::Cancelled, what + " cancelled");
  }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace roundlab
