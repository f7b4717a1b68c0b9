class User
end
