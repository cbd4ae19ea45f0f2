#pragma once
// The mixed-precision allocation being edited: per-layer bit-widths over a BitAllocationModel
// (importance and costs, no model), changed only through commands on an undo stack. A drag of
// the budget slider is one undo step: its commands share a drag number and merge.
#include <QObject>
#include <QUndoStack>

#include <map>
#include <memory>
#include <string>

#include "app/gui/EngineThread.h"
#include "engine/importance/BitAllocation.h"

namespace roundlab::app {

class AllocationDocument : public QObject {
  Q_OBJECT
 public:
  explicit AllocationDocument(QObject* parent = nullptr);
  ~AllocationDocument() override;

  bool ready() const { return model_ != nullptr; }
  const BitAllocationModel* model() const { return model_.get(); }
  // The importance the model was made from (null before an estimate): what reports list.
  const ImportancePtr& importance() const { return importance_; }
  const std::map<std::string, int>& bits() const { return bits_; }
  AllocationTotals totals() const;
  QUndoStack* undoStack() { return &undo_; }

  // New importance. For the layers already allocated (a re-estimate) the allocation and its undo
  // history stay, and true is returned when it differs from all 8 bits; otherwise every layer
  // starts at 8 bits with no history.
  bool setImportance(ImportancePtr report);
  // Another model: no importance, nothing to edit, history cleared.
  void clear();
  // Edits (each an undoable command).
  void setBits(const std::string& layer, int bits);
  void setBitsOfKind(LayerKind kind, int bits, const ModelSummary& summary);
  // Several layers (a multi-selection) in one step.
  void setBitsOfLayers(const std::vector<std::string>& layers, int bits);
  // A whole allocation (a Pareto point) in one step.
  void load(const std::map<std::string, int>& bits, const QString& what);
  // The exact allocation for an average-bits budget. Calls with the same non-zero `drag` merge
  // into one undo step (a slider drag).
  void autoAllocate(double averageBits, int drag = 0);
  // Applies an allocation as is (undo restores the previous one); used by the commands too.
  void apply(const std::map<std::string, int>& bits);

 Q_SIGNALS:
  void changed();
  void reset();

 private:
  // Pushes the change to `after` as one command (nothing when it changes nothing).
  void push(const std::map<std::string, int>& after, const QString& text, int drag = 0);
  std::unique_ptr<BitAllocationModel> model_;
  ImportancePtr importance_;
  std::map<std::string, int> bits_;
  QUndoStack undo_;
};

}  // namespace roundlab::app
