#include "widgets/DataFileBar.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace roundlab::widgets {

DataFileBar::DataFileBar(const QString& role, QWidget* parent)
    : QWidget(parent), role_(role), label_(new QLabel), change_(new QPushButton("Change…")) {
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label_->setWordWrap(true);  // a long path wraps rather than widening the view
  change_->setToolTip("Choose another " + role.toLower() + " (an HDF5 file of images and labels)");
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(label_, 1);
  layout->addWidget(change_);
  connect(change_, &QPushButton::clicked, this, &DataFileBar::changeRequested);
  setFile({});
}

void DataFileBar::setFile(const QString& path) {
  path_ = path;
  description_ = path.isEmpty() ? QString() : QString("reading…");
  sha256_.clear();
  showText();
}

void DataFileBar::setDescription(const QString& path, const QString& description) {
  if (path != path_) return;  // a description of a file the bar no longer shows
  description_ = description;
  showText();
}

void DataFileBar::setSha256(const QString& path, const QString& sha256) {
  if (path != path_) return;
  sha256_ = sha256;
  showText();
}

void DataFileBar::showText() {
  if (path_.isEmpty()) {
    label_->setText(QString("%1: none — choose one").arg(role_));
    label_->setToolTip({});
    return;
  }
  const QFileInfo info(path_);
  QString details = description_.toHtmlEscaped();
  if (!sha256_.isEmpty()) details += " · SHA-256 " + sha256_.left(12) + "…";
  label_->setText(QString("%1: <b>%2</b> — %3 (in %4)")
                      .arg(role_, info.fileName().toHtmlEscaped(), details, info.absolutePath().toHtmlEscaped()));
  label_->setToolTip(path_ + (sha256_.isEmpty() ? QString() : "\nSHA-256 " + sha256_));
}

}  // namespace roundlab::widgets
