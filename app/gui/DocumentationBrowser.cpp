#include "app/gui/DocumentationBrowser.h"

#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace roundlab::app {

namespace {

// A Markdown file's first "# " heading, else its file name.
QString documentTitle(const QString& path) {
  QFile f(path);
  if (f.open(QIODevice::ReadOnly))
    for (int i = 0; i < 20 && !f.atEnd(); ++i) {
      const QString line = QString::fromUtf8(f.readLine()).trimmed();
      if (line.startsWith("# ")) return line.mid(2).trimmed();
    }
  return QFileInfo(path).completeBaseName();
}

}  // namespace

DocumentationBrowser::DocumentationBrowser(const QString& folder, QWidget* parent)
    : QDialog(parent), folder_(folder), list_(new QListWidget), page_(new QTextBrowser), find_(new QLineEdit) {
  setWindowTitle("RoundLab documentation");
  list_->setObjectName("documentList");
  page_->setObjectName("documentPage");
  page_->setOpenLinks(false);  // documents open here, web links in the browser
  connect(page_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
    if (url.isRelative() && url.path().isEmpty()) {  // "#section": within this page
      page_->scrollToAnchor(url.fragment());
      return;
    }
    if (url.isLocalFile() || url.isRelative()) {
      const QUrl target = url.isLocalFile() ? url : page_->source().resolved(url);
      if (target.toLocalFile().endsWith(".md") && showDocument(target.toLocalFile())) {
        if (target.hasFragment()) page_->scrollToAnchor(target.fragment());
        return;
      }
    }
    QDesktopServices::openUrl(url.isRelative() ? page_->source().resolved(url) : url);
  });
  QStringList files{QDir(folder_).filePath("README.md")};
  for (const QFileInfo& f : QDir(QDir(folder_).filePath("docs")).entryInfoList({"*.md"}, QDir::Files, QDir::Name))
    files << f.absoluteFilePath();
  for (const QString& path : files) {
    auto* item = new QListWidgetItem(documentTitle(path), list_);
    item->setData(Qt::UserRole, path);
    item->setToolTip(QDir(folder_).relativeFilePath(path));
  }
  connect(list_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) showDocument(item->data(Qt::UserRole).toString());
  });
  find_->setPlaceholderText("Find in this document (Enter: next)");
  find_->setClearButtonEnabled(true);
  connect(find_, &QLineEdit::returnPressed, this, [this] {
    if (!page_->find(find_->text())) {  // from the top again
      page_->moveCursor(QTextCursor::Start);
      page_->find(find_->text());
    }
  });
  auto* right = new QWidget;
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  rightLayout->addWidget(find_);
  rightLayout->addWidget(page_, 1);
  auto* split = new QSplitter;
  split->addWidget(list_);
  split->addWidget(right);
  split->setStretchFactor(1, 1);
  split->setSizes({240, 760});
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split);
  resize(1000, 700);
  list_->setCurrentRow(0);
}

bool DocumentationBrowser::showDocument(const QString& path) {
  const QString absolute = QFileInfo(QDir(folder_), path).canonicalFilePath();
  for (int i = 0; i < list_->count(); ++i)
    if (QFileInfo(list_->item(i)->data(Qt::UserRole).toString()).canonicalFilePath() == absolute &&
        !absolute.isEmpty()) {
      if (list_->currentRow() != i) {
        list_->setCurrentRow(i);  // shows it through currentItemChanged
        return true;
      }
      page_->setSource(QUrl::fromLocalFile(absolute), QTextDocument::MarkdownResource);
      return true;
    }
  return false;
}

}  // namespace roundlab::app
