#pragma once
// Help ▸ Documentation: the bundled guides (README, docs/*.md) read inside RoundLab, offline — a
// list of the documents by title, the chosen one rendered from its Markdown with its figures,
// links between documents followed in place, and a search within the page.
#include <QDialog>

class QLineEdit;
class QListWidget;
class QTextBrowser;

namespace roundlab::app {

class DocumentationBrowser : public QDialog {
  Q_OBJECT
 public:
  // `folder`: where README.md and docs/ are (findDocumentation()).
  explicit DocumentationBrowser(const QString& folder, QWidget* parent = nullptr);
  QListWidget* documents() const { return list_; }
  QTextBrowser* page() const { return page_; }
  // Shows the document at `path` (absolute, or relative to the folder); false if it is not one.
  bool showDocument(const QString& path);

 private:
  QString folder_;
  QListWidget* list_;
  QTextBrowser* page_;
  QLineEdit* find_;
};

}  // namespace roundlab::app
