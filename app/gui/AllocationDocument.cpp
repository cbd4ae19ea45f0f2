#include "app/gui/AllocationDocument.h"

#include <QUndoCommand>

#include <algorithm>

namespace roundlab::app {

namespace {

// Replaces the whole allocation; undo puts the previous one back.
class AllocationCommand : public QUndoCommand {
 public:
  AllocationCommand(AllocationDocument* doc, std::map<std::string, int> before, std::map<std::string, int> after,
                    const QString& text, int drag)
      : QUndoCommand(text), doc_(doc), before_(std::move(before)), after_(std::move(after)), drag_(drag) {}
  void undo() override { doc_->apply(before_); }
  void redo() override { doc_->apply(after_); }
  int id() const override { return drag_ ? 1 : -1; }  // -1: never merged
  bool mergeWith(const QUndoCommand* other) override {
    const auto* o = static_cast<const AllocationCommand*>(other);
    if (o->drag_ != drag_) return false;
    after_ = o->after_;  // the drag's start stays `before_`
    setText(o->text());
    return true;
  }

 private:
  AllocationDocument* doc_;
  std::map<std::string, int> before_, after_;
  int drag_;
};

}  // namespace

AllocationDocument::AllocationDocument(QObject* parent) : QObject(parent) {}
AllocationDocument::~AllocationDocument() = default;

AllocationTotals AllocationDocument::totals() const { return model_ ? model_->totals(bits_) : AllocationTotals{}; }

bool AllocationDocument::setImportance(ImportancePtr report) {
  auto model = std::make_unique<BitAllocationModel>(report->table, report->costs);
  // A re-estimate for the same layers keeps the allocation the user made, and its history: only
  // the predictions change. Anything else starts over at 8 bits.
  bool same = model_ && model->layers().size() == bits_.size();
  for (const std::string& l : model->layers()) same = same && bits_.count(l);
  model_ = std::move(model);
  importance_ = std::move(report);
  const bool edited = same && std::any_of(bits_.begin(), bits_.end(), [](const auto& lb) { return lb.second != 8; });
  if (!same) {
    bits_.clear();
    for (const std::string& l : model_->layers()) bits_[l] = 8;
    undo_.clear();
  }
  Q_EMIT reset();
  Q_EMIT changed();
  return edited;
}

void AllocationDocument::clear() {
  model_.reset();
  importance_.reset();
  bits_.clear();
  undo_.clear();
  Q_EMIT reset();
  Q_EMIT changed();
}

void AllocationDocument::apply(const std::map<std::string, int>& bits) {
  bits_ = bits;
  Q_EMIT changed();
}

void AllocationDocument::push(const std::map<std::string, int>& after, const QString& text, int drag) {
  if (!model_ || (after == bits_ && !drag)) return;
  undo_.push(new AllocationCommand(this, bits_, after, text, drag));
}

void AllocationDocument::setBits(const std::string& layer, int bits) {
  if (!bits_.count(layer) || bits < 2 || bits > 8) return;
  auto after = bits_;
  after[layer] = bits;
  push(after, QString("%1 to %2 bits").arg(QString::fromStdString(layer)).arg(bits));
}

void AllocationDocument::setBitsOfLayers(const std::vector<std::string>& layers, int bits) {
  if (bits < 2 || bits > 8) return;
  auto after = bits_;
  for (const std::string& l : layers)
    if (after.count(l)) after[l] = bits;
  push(after, QString("%1 layers to %2 bits").arg(layers.size()).arg(bits));
}

void AllocationDocument::setBitsOfKind(LayerKind kind, int bits, const ModelSummary& summary) {
  auto after = bits_;
  for (const LayerInfo& l : summary.layers)
    if (l.kind == kind && after.count(l.name)) after[l.name] = bits;
  push(after, QString("all %1 layers to %2 bits").arg(layerKindName(kind)).arg(bits));
}

void AllocationDocument::load(const std::map<std::string, int>& bits, const QString& what) {
  auto after = bits_;
  for (const auto& [layer, b] : bits)
    if (after.count(layer)) after[layer] = b;
  push(after, what);
}

void AllocationDocument::autoAllocate(double averageBits, int drag) {
  if (!model_) return;
  const Allocation a = model_->allocate(BudgetKind::AverageBits, averageBits);
  push(a.bits, QString("allocate %1 average bits").arg(averageBits, 0, 'f', 2), drag);
}

}  // namespace roundlab::app
