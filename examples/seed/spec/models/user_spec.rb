describe User do
end
