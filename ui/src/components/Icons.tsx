// Inline SVG icons (stroke = currentColor). Decorative: the buttons carry the labels.

import type { ReactElement, SVGProps } from "react";

type IconProps = SVGProps<SVGSVGElement> & { size?: number };

function make(paths: ReactElement, viewBox = "0 0 24 24") {
  return function Icon({ size = 18, ...rest }: IconProps) {
    return (
      <svg
        width={size}
        height={size}
        viewBox={viewBox}
        fill="none"
        stroke="currentColor"
        strokeWidth={1.8}
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
        focusable="false"
        {...rest}
      >
        {paths}
      </svg>
    );
  };
}

export const PlusIcon = make(<path d="M12 5v14M5 12h14" />);
export const MenuIcon = make(<path d="M4 7h16M4 12h16M4 17h16" />);
export const CloseIcon = make(<path d="M6 6l12 12M18 6L6 18" />);
export const SearchIcon = make(
  <>
    <circle cx="11" cy="11" r="6.5" />
    <path d="M20 20l-4-4" />
  </>,
);
export const PencilIcon = make(<path d="M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4" />);
export const TrashIcon = make(<path d="M5 7h14M10 11v6M14 11v6M7 7l1 13h8l1-13M9 7V4h6v3" />);
export const SendIcon = make(<path d="M5 12h13M13 6l6 6-6 6" />);
export const StopIcon = make(<rect x="7" y="7" width="10" height="10" rx="1.5" fill="currentColor" />);
export const CopyIcon = make(
  <>
    <rect x="9" y="9" width="11" height="11" rx="2" />
    <path d="M5 15V6a2 2 0 0 1 2-2h8" />
  </>,
);
export const CheckIcon = make(<path d="M5 12.5l4.5 4.5L19 7.5" />);
export const CrossIcon = make(<path d="M7 7l10 10M17 7L7 17" />);
export const BanIcon = make(
  <>
    <circle cx="12" cy="12" r="8" />
    <path d="M6.5 6.5l11 11" />
  </>,
);
export const HandIcon = make(
  <path d="M8 13V6.5a1.5 1.5 0 0 1 3 0V12m0-6.5v-1a1.5 1.5 0 0 1 3 0V12m0-6a1.5 1.5 0 0 1 3 0V14a6 6 0 0 1-6 6h-.5a6 6 0 0 1-4.7-2.3L4.5 15a1.5 1.5 0 0 1 2.3-1.9L8 14.5" />,
);
export const ChevronIcon = make(<path d="M9 6l6 6-6 6" />);
export const UpIcon = make(<path d="M12 19V5M6 11l6-6 6 6" />);
export const DownIcon = make(<path d="M12 5v14M6 13l6 6 6-6" />);
export const ChatIcon = make(<path d="M5 5h14v10H9l-4 4V5z" />);
export const GearIcon = make(
  <>
    <circle cx="12" cy="12" r="3" />
    <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
  </>,
);
export const ChartIcon = make(<path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />);
export const AlertIcon = make(
  <>
    <path d="M12 3l10 18H2L12 3z" />
    <path d="M12 10v5M12 18v.01" />
  </>,
);
/** Skills: a spark. */
export const SparkIcon = make(
  <>
    <path d="M11 3l1.9 5.6L18.5 10.5l-5.6 1.9L11 18l-1.9-5.6L3.5 10.5l5.6-1.9z" />
    <path d="M18.5 15.5l.8 2.2 2.2.8-2.2.8-.8 2.2-.8-2.2-2.2-.8 2.2-.8z" />
  </>,
);
export const RefreshIcon = make(<path d="M20 11a8 8 0 0 0-14.3-4.9L4 8M4 4v4h4M4 13a8 8 0 0 0 14.3 4.9L20 16M20 20v-4h-4" />);
export const ShieldIcon = make(
  <>
    <path d="M12 3l7.5 3v5.5c0 4.6-3.2 8.1-7.5 9.5-4.3-1.4-7.5-4.9-7.5-9.5V6L12 3z" />
    <path d="M12 8.5v4.5M12 16.2v.01" />
  </>,
);
export const FolderIcon = make(<path d="M3.5 6.5a1.5 1.5 0 0 1 1.5-1.5h4.2l2 2.2H19a1.5 1.5 0 0 1 1.5 1.5v9.3a1.5 1.5 0 0 1-1.5 1.5H5a1.5 1.5 0 0 1-1.5-1.5z" />);
export const BackIcon = make(<path d="M19 12H5M11 6l-6 6 6 6" />);
export const ExternalIcon = make(<path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />);
/** Memory: a bookmark. */
export const MemoryIcon = make(<path d="M7 3.5h10a1 1 0 0 1 1 1V20.5l-6-4.2-6 4.2V4.5a1 1 0 0 1 1-1z" />);
export const PinIcon = make(<path d="M9 3.5h6l-1 5.5 3.5 3.5V14h-11v-1.5L10 9 9 3.5zM12 14v6.5" />);
export const UndoIcon = make(<path d="M9 14L4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11" />);
export const ClockIcon = make(
  <>
    <circle cx="12" cy="12" r="8.5" />
    <path d="M12 7.5V12l3 2" />
  </>,
);
/** A claw that is also a speech bubble. */
export function LogoIcon({ size = 18, ...rest }: IconProps) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="currentColor" aria-hidden="true" focusable="false" {...rest}>
      <path d="M20.5 7.5C19 4.8 16.1 3 12.8 3 7.9 3 4 6.9 4 11.8c0 1.2.2 2.3.7 3.4L2.5 19.5l4.6-1.6A8.7 8.7 0 0 0 12.8 20.5c3.1 0 5.9-1.6 7.4-4.1l-5.6-1.7a3.4 3.4 0 0 1-5.3-2.9 3.4 3.4 0 0 1 5.7-2.5z" />
    </svg>
  );
}
