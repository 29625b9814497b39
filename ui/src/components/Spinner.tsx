export function Spinner({ label, size = 16 }: { label?: string; size?: number }) {
  return (
    <span
      className="spinner"
      role={label ? "img" : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      style={{ width: size, height: size }}
    />
  );
}
