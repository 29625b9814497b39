// Assistant text as GitHub-flavoured markdown. Raw HTML in the text is never rendered
// (react-markdown drops it without rehype-raw), link URLs go through react-markdown's
// safe URL filter, and code blocks are highlighted by highlight.js.

import { memo } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import { CodeBlock } from "./CodeBlock";

const remarkPlugins = [remarkGfm];
const rehypePlugins = [[rehypeHighlight, { detect: false }] as [typeof rehypeHighlight, { detect: boolean }]];

function languageOf(node: unknown): string | null {
  const code = (node as { children?: { tagName?: string; properties?: { className?: unknown } }[] } | undefined)
    ?.children?.[0];
  if (code?.tagName !== "code") return null;
  const classes = Array.isArray(code.properties?.className) ? (code.properties.className as string[]) : [];
  const lang = classes.find((c) => c.startsWith("language-"));
  return lang ? lang.slice("language-".length) : null;
}

const components: Components = {
  pre({ node, children }) {
    return <CodeBlock language={languageOf(node)}>{children}</CodeBlock>;
  },
  a({ node: _node, href, children, ...rest }) {
    const external = !!href && /^https?:/i.test(href);
    return (
      <a href={href} {...rest} {...(external ? { target: "_blank", rel: "noopener noreferrer" } : {})}>
        {children}
      </a>
    );
  },
  table({ node: _node, children, ...rest }) {
    return (
      <div className="md-table-wrap" tabIndex={0}>
        <table {...rest}>{children}</table>
      </div>
    );
  },
  img({ src, alt }) {
    // Remote images are blocked by the page's CSP; show a link instead of a broken image.
    const url = typeof src === "string" ? src : "";
    if (!url) return <span>{alt}</span>;
    return (
      <a href={url} target="_blank" rel="noopener noreferrer">
        {alt || "image"}
      </a>
    );
  },
};

export interface MarkdownProps {
  text: string;
  testId?: string;
}

export const Markdown = memo(function Markdown({ text, testId }: MarkdownProps) {
  return (
    <div className="md" data-testid={testId}>
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
