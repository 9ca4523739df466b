export { TableSkeleton as default } from "@/components/ui/table-skeleton";
