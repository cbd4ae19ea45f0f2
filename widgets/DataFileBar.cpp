#include "widgets/DataFileBar.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace roundlab::widgets {

DataFileBar::DataFileBar(const QString& role, QWidget* parent)
    : QWidget(parent), role_(role), label_(new QLabel), change_(new QPushButton("Change…")) {
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
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
  const QFileInfo info(path);
  label_->setText(path.isEmpty()
                      ? QString("%1: none — choose one").arg(role_)
                      : QString("%1: <b>%2</b> (in %3)")
                            .arg(role_, info.fileName().toHtmlEscaped(), info.absolutePath().toHtmlEscaped()));
  label_->setToolTip(path);
}

}  // namespace roundlab::widgets
