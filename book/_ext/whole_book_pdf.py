"""The download menu's ".pdf" entry links the whole book as one PDF, not a print of the page.

sphinx-book-theme's download menu offers the page's .ipynb, its source and ".pdf", which runs
the browser's print dialog on the current page. Its only option is the whole menu on or off
(``use_download_button``), so this keeps the menu and turns its ".pdf" entry into a link to
``book.pdf`` at the root of the HTML: the book as one PDF, built by ``make pdf`` and copied
there by it (and by ``make html``) and by the pages workflow.
"""
PDF = "book.pdf"


def link_the_whole_book_pdf(app, pagename, templatename, context, doctree):
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        group["tooltip"] = "Download this page, or the whole book as one PDF"
        for button in group["buttons"]:
            if button.get("label") == "download-pdf-button":
                button.clear()
                button.update(type="link", url=context["pathto"](PDF, 1), text="book .pdf",
                              icon="fas fa-file-pdf", tooltip="Download the whole book as one PDF",
                              label="download-book-pdf-button")


def setup(app):
    # After sphinx-book-theme's add_header_buttons (priority 501) has filled the menu.
    app.connect("html-page-context", link_the_whole_book_pdf, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
